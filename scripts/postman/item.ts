/** One request of the collection: an operation sent as a variant (a role, a body, the status it must answer). */
import { ROLE_PERMISSIONS, ROLES } from '../../src/auth/permissions.ts';
import { type PostmanItem } from './convert.ts';
import { bodyFrom, pathValue } from './flow.ts';
import { event, type Expectation, expectations, useRole } from './scripts.ts';
import { type JsonObject, type Operation } from './spec.ts';

export interface Variant {
  name?: string;
  /** null: sent without a token; a role: with the token of the setup folder's user of that role. */
  role: string | null;
  body?: string;
  method?: string;
  pathValues?: Record<string, string>;
  missingIds?: boolean;
  expect: Expectation;
  prerequest?: string[];
  tests?: string[];
  keepExamples?: boolean;
  /** Optional headers and query parameters to send: the conditional, idempotency and cursor ones are only sent here. */
  headers?: Record<string, string>;
  query?: Record<string, string>;
}

/** Sent only where a request shows them off: an example tag or cursor would make the happy path a 412 or a 400. */
const OPT_IN = new Set(['if-match', 'if-none-match', 'idempotency-key', 'cursor']);

/** The least-privileged role holding every permission the operation lists. */
export function roleFor(op: Operation): string | null {
  if (op.scopes === null) return null;
  const scopes = op.scopes;
  return ROLES.find((role) => scopes.every((s) => (ROLE_PERMISSIONS[role] as readonly string[]).includes(s))) ?? 'admin';
}

export function build(template: PostmanItem, op: Operation, variant: Variant): PostmanItem {
  const item = structuredClone(template);
  const request = item.request as NonNullable<PostmanItem['request']>;
  item.name = variant.name ?? op.summary;
  request.name = item.name;
  if (!variant.keepExamples) item.response = [];
  request.method = variant.method ?? op.method;
  request.url.variable = op.pathParams.map((p) => ({
    key: p.name,
    value: variant.pathValues?.[p.name] ?? pathValue(op, p.name, variant.missingIds),
  }));
  // The converter may pick a form-encoded body; the collection always sends the JSON one.
  const headers = ((request.header ?? []) as { key: string; value: string }[]).filter(
    (h) => h.key.toLowerCase() !== 'content-type' && !OPT_IN.has(h.key.toLowerCase()),
  );
  headers.push(...Object.entries(variant.headers ?? {}).map(([key, value]) => ({ key, value })));
  const url = request.url as { raw?: unknown; query?: { key: string; value: string; disabled?: boolean }[] };
  if (url.query) {
    url.query = url.query.filter((q) => !OPT_IN.has(q.key.toLowerCase()));
    for (const [key, value] of Object.entries(variant.query ?? {})) {
      const known = url.query.find((q) => q.key === key);
      if (known) Object.assign(known, { value, disabled: false });
      else url.query.push({ key, value });
    }
    if (typeof url.raw === 'string') {
      const sent = url.query.filter((q) => !q.disabled).map((q) => `${q.key}=${q.value}`);
      url.raw = `${url.raw.split('?')[0]}${sent.length > 0 ? `?${sent.join('&')}` : ''}`;
    }
  }
  if (variant.body === undefined) delete request.body;
  else {
    request.body = { mode: 'raw', raw: variant.body, options: { raw: { language: 'json' } } };
    headers.unshift({ key: 'Content-Type', value: 'application/json' });
  }
  request.header = headers;
  request.auth = variant.role === null ? { type: 'noauth' } : null;
  const prerequest = [...(variant.prerequest ?? []), ...(variant.role === null ? [] : useRole(variant.role))];
  item.event = [
    ...(prerequest.length > 0 ? [event('prerequest', prerequest)] : []),
    event('test', [...expectations(variant.expect), ...(variant.tests ?? [])]),
  ];
  if (variant.expect.status >= 300 && variant.expect.status < 400) {
    item.protocolProfileBehavior = { followRedirects: false };
  }
  return item;
}

export function successOf(op: Operation): Expectation {
  return { status: op.success.status, mediaType: op.success.mediaType, schema: op.success.schema };
}

export function errorOf(op: Operation, status: number, errorSchema: JsonObject): Expectation {
  return { status, mediaType: 'application/json', schema: op.errors.get(status) ?? errorSchema };
}

export function firstBody(op: Operation): string | undefined {
  return op.bodyExamples[0] ? bodyFrom(op.bodyExamples[0]) : undefined;
}

