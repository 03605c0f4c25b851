/**
 * How the collection's requests follow one another: the resources in the order they are created, which
 * variable carries each one's id, and the rules that turn a spec example into a request the run can make
 * on its own data. Everything here is keyed by path pattern or field name, never by operation.
 */
import type { JsonObject, Operation } from './spec.ts';

export interface Resource {
  name: string;
  match: RegExp;
  /** The variable a create stores the new id or uuid in, and `{id}`/`{uuid}` path parameters read. */
  idVariable?: string;
  /** Body fields that list ids of this resource (`movies_id: [10]` → the movie the run created). */
  referencedAs?: string[];
}

/** Creation order; deletes run afterwards in the reverse order, so nothing is left behind. */
export const RESOURCES: Resource[] = [
  {
    name: 'identity',
    match: /^\/(register\/|api\/auth\/|api\/v1\/user$|api\/v1\/authenticate$)/,
    idVariable: 'userId',
  },
  { name: 'users', match: /^\/api\/v1\/users/, idVariable: 'userId' },
  { name: 'actors', match: /^\/(actors|actor-details)\b/, idVariable: 'actorId', referencedAs: ['actors_id', 'actors'] },
  { name: 'movies', match: /^\/(movies|movie-details)\b/, idVariable: 'movieId', referencedAs: ['movies_id', 'movies'] },
  { name: 'catalog', match: /^\/catalog\// },
  { name: 'collections', match: /^\/collection\//, idVariable: 'collectionUuid' },
  { name: 'request count', match: /^\/request-count\// },
  { name: 'messages', match: /^\/api\/messages/, idVariable: 'messageId' },
  { name: 'operations', match: /^\// },
];

/**
 * Operations the run leaves out of its happy path because they change what the run did not create: resetting
 * the shared request counter would wipe every other client's count. Their refusals are still requested.
 */
export const SHARED_STATE = [/^\/request-count\/reset\/$/];

/**
 * Operations that end the caller's own session (a new password, deleting one's account): the run makes them with
 * a user of their own at the end (collection.ts), not with the setup users whose tokens later requests use.
 * Keyed by method and path.
 */
export const OWN_ACCOUNT = [/^PUT \/api\/v1\/user\/password$/, /^DELETE \/api\/v1\/user$/];

/** Every username (and email) the run makes starts with this, so the cleanup finds them all by prefix. */
export const RUN_PREFIX = 'pm-{{runId}}-';

/** An id and a uuid no deployment has: for the 404 and 422 requests. */
export const MISSING = { integer: 2147483647, uuid: '00000000-0000-4000-8000-000000000000' };

export function resourceOf(op: { path: string }): Resource {
  return RESOURCES.find((r) => r.match.test(op.path)) as Resource;
}

export function isCreate(op: Operation): boolean {
  return op.method === 'POST' && op.pathParams.length === 0 && op.success.status === 201;
}

/** The response field that holds a created resource's id: `id`, `uuid`, or `<name>_id` / `<name>_uuid`. */
export function createdIdField(op: Operation): string | undefined {
  const properties = Object.keys((op.success.schema?.properties ?? {}) as JsonObject);
  return properties.find((p) => p === 'id' || p === 'uuid') ?? properties.find((p) => /_(id|uuid)$/.test(p));
}

/** The happy path: each resource's operations in spec order, then every delete, newest resource first. */
export function orderOperations(operations: Operation[]): { use: Operation[]; deletes: Operation[] } {
  const rank = (op: Operation) => RESOURCES.indexOf(resourceOf(op));
  const kept = operations.filter(
    (op) => !SHARED_STATE.some((re) => re.test(op.path)) && !OWN_ACCOUNT.some((re) => re.test(`${op.method} ${op.path}`)),
  );
  const use = kept.filter((op) => op.method !== 'DELETE').sort((a, b) => rank(a) - rank(b));
  // Within a resource the deeper path goes first: a collection's movie before the collection.
  const deletes = kept
    .filter((op) => op.method === 'DELETE')
    .sort((a, b) => rank(b) - rank(a) || b.path.split('/').length - a.path.split('/').length);
  return { use, deletes };
}

/** A path parameter's value: the variable of the resource the run created, else the spec's example. */
export function pathValue(op: Operation, name: string, missing = false): string {
  const param = op.pathParams.find((p) => p.name === name);
  if (missing) return String(param?.schema.format === 'uuid' ? MISSING.uuid : MISSING.integer);
  const variable = resourceOf(op).idVariable;
  if (variable && (name === 'id' || name === 'uuid')) return `{{${variable}}}`;
  return String(param?.example ?? '');
}

const marker = (variable: string) => `@@${variable}@@`;

/**
 * A spec example made into a body the run can send: usernames and emails get the run's suffix, a refresh
 * token is the last one the run received, and lists of ids point at what the run created (or, with
 * `missing`, at an id that exists nowhere). Returns raw JSON with `{{variables}}` in place.
 */
export function bodyFrom(example: JsonObject, missing = false): string {
  const referenced = new Map(RESOURCES.flatMap((r) => (r.referencedAs ?? []).map((f) => [f, r.idVariable ?? ''])));
  const rewrite = (node: unknown, key?: string): unknown => {
    if (Array.isArray(node)) {
      const variable = key ? referenced.get(key) : undefined;
      if (variable && node.every((v) => typeof v === 'number')) return [missing ? MISSING.integer : marker(variable)];
      return node.map((child) => rewrite(child));
    }
    if (node && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, rewrite(v, k)]));
    }
    if (typeof node !== 'string') return node;
    if (key === 'username' || key === 'email') return `${RUN_PREFIX}${node}`;
    if (key === 'refresh') return '{{refresh}}';
    return node;
  };
  return JSON.stringify(rewrite(example), null, 2).replace(/"@@(\w+)@@"/g, '{{$1}}');
}

/** Whether an example lists ids of another resource (what a 422 for an unknown id needs). */
export function referencesIds(example: JsonObject): boolean {
  const fields = RESOURCES.flatMap((r) => r.referencedAs ?? []);
  return Object.entries(example).some(([k, v]) => fields.includes(k) && Array.isArray(v) && v.every((x) => typeof x === 'number'));
}
