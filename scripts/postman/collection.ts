/**
 * The Postman collection: a setup folder that logs the admin in and makes one fresh user per role, every
 * operation in an order where what one creates the next uses, the documented refusals, then deletes of
 * everything the run created. Every request asserts its documented status and body schema.
 */
import { createHash } from 'node:crypto';
import { ROLES } from '../../src/auth/permissions.ts';
import { convert, type PostmanItem, stableIds } from './convert.ts';
import { featuresFolder } from './features.ts';
import {
  bodyFrom,
  createdIdField,
  isCreate,
  orderOperations,
  RESOURCES,
  referencesIds,
  resourceOf,
  RUN_PREFIX,
} from './flow.ts';
import { deleteListedUsers, noneListed, startRun, store } from './scripts.ts';
import { type JsonObject, loadSpec, type Operation, type Spec } from './spec.ts';
import { build, errorOf, firstBody, roleFor, successOf, type Variant } from './item.ts';

function setupFolder(spec: Spec, template: (op: Operation) => PostmanItem): PostmanItem {
  const find = (id: string) => spec.operations.find((op) => op.operationId === id) as Operation;
  const login = find('obtainTokenPair');
  const register = find('registerUser');
  const setRole = find('updateUserRole');
  const credentials = (username: string, password: string) => JSON.stringify({ username, password }, null, 2);
  const items = [
    build(template(login), login, {
      name: 'Log in as the admin',
      role: null,
      body: credentials('{{adminUsername}}', '{{adminPassword}}'),
      expect: successOf(login),
      prerequest: startRun(),
      tests: store('token_admin', 'access'),
    }),
  ];
  for (const role of ROLES.filter((r) => r !== 'admin')) {
    const username = `${RUN_PREFIX}${role}`;
    items.push(
      build(template(register), register, {
        name: `Register a ${role}`,
        role: null,
        body: credentials(username, '{{runPassword}}'),
        expect: successOf(register),
        tests: store(`${role}Id`, 'id'),
      }),
    );
    if (role !== 'member') {
      items.push(
        build(template(setRole), setRole, {
          name: `Make them ${role}`,
          role: 'admin',
          body: JSON.stringify({ role }, null, 2),
          pathValues: { id: `{{${role}Id}}` },
          expect: successOf(setRole),
        }),
      );
    }
    items.push(
      build(template(login), login, {
        name: `Log in as the ${role}`,
        role: null,
        body: credentials(username, '{{runPassword}}'),
        expect: successOf(login),
        tests: store(`token_${role}`, 'access'),
      }),
    );
  }
  return { name: 'setup: the admin and one new user per role', item: items };
}

/** A user of the run's own changes its password, signs in again and deletes its account, away from the setup users. */
function accountLifeFolder(spec: Spec, template: (op: Operation) => PostmanItem): PostmanItem {
  const ids = ['registerCollectionsUser', 'obtainTokenPair', 'changeCredentials', 'deleteCurrentUser'];
  const [register, login, change, remove] = ids.map((id) => spec.operations.find((o) => o.operationId === id) as Operation);
  const username = `${RUN_PREFIX}leaver`;
  const body = (value: Record<string, string>) => JSON.stringify(value, null, 2);
  if (!register || !login || !change || !remove) throw new Error(`the spec lacks one of ${ids.join(', ')}`);
  return {
    name: 'account life: a new password, then the account deleted',
    item: [
      build(template(register), register, {
        name: 'Register a user who will leave',
        role: null,
        body: body({ username, password: '{{runPassword}}' }),
        expect: successOf(register),
        tests: store('token_leaver', 'access_token'),
      }),
      build(template(change), change, {
        role: 'leaver',
        body: body({ current_password: '{{runPassword}}', new_password: '{{runPassword}}-new' }),
        expect: successOf(change),
      }),
      build(template(login), login, {
        name: 'Log in with the new password',
        role: null,
        body: body({ username, password: '{{runPassword}}-new' }),
        expect: successOf(login),
        tests: store('token_leaver', 'access'),
      }),
      build(template(remove), remove, {
        role: 'leaver',
        body: body({ password: '{{runPassword}}-new' }),
        expect: successOf(remove),
      }),
    ],
  };
}

/** Lists the run's users by their common prefix, as the admin: to delete them, then to see none is left. */
function sweep(spec: Spec, template: (op: Operation) => PostmanItem, name: string, tests: string[]): PostmanItem {
  const list = spec.operations.find((op) => op.operationId === 'listUsers') as Operation;
  const item = build(template(list), list, { name, role: 'admin', expect: successOf(list), tests });
  (item.request as NonNullable<PostmanItem['request']>).url.query = [
    { key: 'username_prefix', value: RUN_PREFIX },
    { key: 'limit', value: '100' },
  ];
  return item;
}

function happy(op: Operation, template: PostmanItem): PostmanItem {
  const tests: string[] = [];
  const variable = resourceOf(op).idVariable;
  const idField = createdIdField(op);
  if (isCreate(op) && variable && idField) tests.push(...store(variable, idField));
  if ('refresh' in ((op.success.schema?.properties ?? {}) as JsonObject)) tests.push(...store('refresh', 'refresh'));
  return build(template, op, {
    role: roleFor(op),
    body: firstBody(op),
    expect: successOf(op),
    tests,
    keepExamples: true,
  });
}

/** The refusals the spec documents, each provoked without touching anything: 401, 403, 404, 405, 409, 422. */
function refusals(spec: Spec, template: (op: Operation) => PostmanItem): PostmanItem[] {
  const { errorSchema } = spec;
  const items: PostmanItem[] = [];
  const seen = new Set<string>();
  for (const op of spec.operations) {
    const resource = resourceOf(op).name;
    const add = (status: number, why: string, variant: Omit<Variant, 'expect'>) =>
      items.push(build(template(op), op, { ...variant, name: `${status} ${why}: ${op.summary}`, expect: errorOf(op, status, errorSchema) }));
    if (!seen.has(resource)) {
      seen.add(resource);
      const methods = spec.paths.get(op.path) ?? [];
      const method = ['DELETE', 'PUT', 'PATCH', 'POST'].find((m) => !methods.includes(m)) as string;
      items.push(
        build(template(op), op, {
          name: `405 ${method} where the path has no such method: ${op.path}`,
          role: null,
          method,
          expect: { ...errorOf(op, 405, errorSchema), headers: ['Allow'] },
        }),
      );
    }
    if (op.scopes !== null && op.errors.has(401) && !seen.has(`401 ${resource}`)) {
      seen.add(`401 ${resource}`);
      add(401, 'without a token', { role: null, body: firstBody(op) });
    }
    if (op.scopes?.length && op.errors.has(403)) add(403, 'as a member', { role: 'member', body: firstBody(op) });
    if (op.method === 'GET' && op.pathParams.length > 0 && op.errors.has(404)) {
      add(404, 'for an id that does not exist', { role: roleFor(op), missingIds: true });
    }
    const example = op.bodyExamples[0];
    if (isCreate(op) && op.errors.has(409) && example && ('username' in example || 'email' in example)) {
      add(409, 'again with the same name', { role: roleFor(op), body: bodyFrom(example) });
    }
    const referencing = op.bodyExamples.find(referencesIds);
    if (op.errors.has(422) && referencing) {
      add(422, 'naming an id that does not exist', { role: roleFor(op), body: bodyFrom(referencing, true) });
    }
  }
  return items;
}

export async function postmanCollection(specPath: string): Promise<string> {
  const spec = loadSpec(specPath);
  const { collection, requests } = await convert(spec.raw);
  const template = (op: Operation) => {
    const item = requests.get(`${op.method} ${op.path}`);
    if (!item) throw new Error(`the converter made no request for ${op.method} ${op.path}`);
    return item;
  };
  const { use, deletes } = orderOperations(spec.operations);
  const folders: PostmanItem[] = [setupFolder(spec, template)];
  for (const resource of RESOURCES) {
    const ops = use.filter((op) => resourceOf(op) === resource);
    if (ops.length > 0) folders.push({ name: resource.name, item: ops.map((op) => happy(op, template(op))) });
  }
  folders.push(featuresFolder(spec, template, build));
  folders.push({ name: 'refusals', item: refusals(spec, template) });
  folders.push(accountLifeFolder(spec, template));
  folders.push({
    name: 'cleanup: delete what the run created',
    item: [
      ...deletes.map((op) => happy(op, template(op))),
      sweep(spec, template, 'Delete every user the run registered', deleteListedUsers()),
      sweep(spec, template, 'No user of the run is left', noneListed()),
    ],
  });

  const info = collection.info as Record<string, unknown>;
  info._postman_id = createHash('sha256')
    .update('marquee')
    .digest('hex')
    .slice(0, 32)
    .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
  const result: PostmanItem = {
    info,
    item: folders,
    auth: { type: 'bearer', bearer: [{ key: 'token', value: '{{accessToken}}', type: 'string' }] },
    variable: [
      { key: 'baseUrl', value: 'http://localhost:3000', type: 'string' },
      { key: 'adminUsername', value: '', type: 'string' },
      { key: 'adminPassword', value: '', type: 'string' },
    ],
  };
  stableIds(result, 'marquee');
  return `${JSON.stringify(result, null, 2)}\n`;
}
