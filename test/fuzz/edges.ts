/**
 * The fuzz's fixed requests, sent to every operation besides the random ones: bodies that are absent, empty or
 * of a wrong Content-Length, and each string format's spellings that a validator may take and PostgreSQL not.
 */
import { FORMAT_SPELLINGS } from './format-spellings.ts';
import { type FuzzRequest, type Operation, type PathValues, plausible } from './generators.ts';

type Schema = Record<string, unknown>;

function urlOf(op: Operation, path: PathValues): string {
  return op.template.replace(/\{([^}]+)\}/g, (_, name: string) => path[name] ?? '1');
}

/** No body at all, Content-Length: 0, and a Content-Length that is not the body's (longer and shorter). */
export function bodyRequests(op: Operation, path: PathValues): FuzzRequest[] {
  if (!op.body) return [];
  const url = urlOf(op, path);
  const json = op.body['application/json'];
  const text = JSON.stringify(json ? plausible(json) : {});
  const request = (kind: string, headers: Record<string, string>, payload?: string): FuzzRequest => ({
    kind,
    method: op.method,
    url,
    headers,
    ...(payload === undefined ? {} : { payload }),
  });
  const length = String(Buffer.byteLength(text));
  const requests = [
    request('no body', {}),
    request('no body, Content-Length: 0', { 'content-length': '0' }),
    request('JSON, Content-Length: 0', { 'content-type': 'application/json', 'content-length': '0' }),
    request('JSON, Content-Length too long', { 'content-type': 'application/json', 'content-length': `${length}0` }),
    request('JSON, Content-Length too short', { 'content-type': 'application/json', 'content-length': '2' }, text),
    request('JSON, Content-Length: 0 with a body', { 'content-type': 'application/json', 'content-length': '0' }, text),
  ];
  if (op.body['application/x-www-form-urlencoded']) {
    requests.push(
      request('form, Content-Length: 0', { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '0' }),
    );
  }
  return requests;
}

/** Where a format sits in a body: a top-level property, or a property of the items of an array property. */
function formatSites(schema: Schema): { key: string; item?: string; format: string }[] {
  const sites: { key: string; item?: string; format: string }[] = [];
  for (const [key, property] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) {
    if (typeof property.format === 'string') sites.push({ key, format: property.format });
    const items = property.items as Schema | undefined;
    for (const [item, inner] of Object.entries((items?.properties ?? {}) as Record<string, Schema>)) {
      if (typeof inner.format === 'string') sites.push({ key, item, format: inner.format });
    }
  }
  return sites;
}

/** Each format's spellings, in every path parameter and body property (or array item property) that has one. */
export function formatRequests(op: Operation, path: PathValues): FuzzRequest[] {
  const requests: FuzzRequest[] = [];
  const json = op.body?.['application/json'];
  const base = json ? (plausible(json) as Record<string, unknown>) : undefined;
  const headers: Record<string, string> = base === undefined ? {} : { 'content-type': 'application/json' };
  const payload = base === undefined ? {} : { payload: JSON.stringify(base) };
  for (const parameter of op.parameters.filter((p) => p.in === 'path' && typeof p.schema.format === 'string')) {
    const format = String(parameter.schema.format);
    const real = path[parameter.name] ?? '';
    const spellings = [...(FORMAT_SPELLINGS[format]?.spellings ?? []), `urn:uuid:${real}`, `{${real}}`, real.toUpperCase()];
    for (const spelling of spellings) {
      const url = urlOf(op, { ...path, [parameter.name]: encodeURIComponent(spelling) });
      requests.push({ kind: `format ${format} in ${parameter.name}`, method: op.method, url, headers, ...payload });
    }
  }
  if (base === undefined || json === undefined) return requests;
  for (const { key, item, format } of formatSites(json)) {
    for (const spelling of FORMAT_SPELLINGS[format]?.spellings ?? []) {
      let value: unknown = spelling;
      if (item !== undefined) {
        const items = ((json.properties as Record<string, Schema>)[key]!.items ?? {}) as Schema;
        value = [{ ...(plausible(items) as object), [item]: spelling }];
      }
      requests.push({
        kind: `format ${format} in ${item === undefined ? key : `${key}[].${item}`}`,
        method: op.method,
        url: urlOf(op, path),
        headers,
        payload: JSON.stringify({ ...base, [key]: value }),
      });
    }
  }
  return requests;
}
