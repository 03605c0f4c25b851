import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { HTTP_METHODS, loadSpec } from '../../src/spec/index.ts';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;
const { document } = loadSpec();

type Json = Record<string, unknown>;

function resolvePointer(pointer: string): unknown {
  return pointer
    .replace(/^#\//, '')
    .split('/')
    .reduce<unknown>(
      (node, key) => (node as Json)[key.replaceAll('~1', '/').replaceAll('~0', '~')],
      document,
    );
}

function deref(node: unknown, seen = new Set<string>()): unknown {
  if (Array.isArray(node)) return node.map((item) => deref(item, seen));
  if (node === null || typeof node !== 'object') return node;
  const ref = (node as Json).$ref;
  if (typeof ref === 'string') {
    if (seen.has(ref)) throw new Error(`recursive $ref ${ref}`);
    return deref(resolvePointer(ref), new Set([...seen, ref]));
  }
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, deref(value, seen)]));
}

const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);

interface Operation {
  method: string;
  template: string;
  pattern: RegExp;
  literalSegments: number;
  responses: Json;
}

const operations: Operation[] = [];
for (const [template, item] of Object.entries(document.paths)) {
  for (const method of HTTP_METHODS) {
    const operation = item[method] as Json | undefined;
    if (!operation) continue;
    const segments = template.replace(/\/+$/, '').split('/');
    const source = segments
      .map((s) => (/^\{.+\}$/.test(s) ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    operations.push({
      method: method.toUpperCase(),
      template,
      pattern: new RegExp(`^${source}/?$`),
      literalSegments: segments.filter((s) => !s.startsWith('{')).length,
      responses: deref(operation.responses) as Json,
    });
  }
}

const errorResponse = deref({ $ref: '#/components/responses/Error' }) as Json;
const validators = new Map<string, ValidateFunction>();

export function findOperation(method: string, url: string): Operation | undefined {
  const path = url.split('?', 1)[0] ?? '/';
  const wanted = method === 'HEAD' ? 'GET' : method;
  return operations
    .filter((op) => op.method === wanted && op.pattern.test(path))
    .sort((a, b) => b.literalSegments - a.literalSegments)[0];
}

export interface ObservedResponse {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
}

/** Throws when a response is not what the spec declares for that operation and status. */
export function assertMatchesSpec(method: string, url: string, response: ObservedResponse): void {
  const operation = findOperation(method, url);
  const status = String(response.statusCode);
  const where = `${method} ${url} → ${status}`;
  const declared = (
    operation ? (operation.responses[status] ?? operation.responses.default) : errorResponse
  ) as Json | undefined;
  if (!declared) throw new Error(`${where}: status not declared in openapi.yaml for ${operation?.template}`);
  const content = declared.content as Record<string, { schema?: unknown }> | undefined;
  if (!content || method === 'HEAD') {
    if (response.body.length > 0 && method !== 'HEAD')
      throw new Error(`${where}: spec declares no body, got one`);
    return;
  }
  const contentType =
    String(response.headers['content-type'] ?? '')
      .split(';', 1)[0]
      ?.trim() ?? '';
  const media = content[contentType];
  if (!media)
    throw new Error(
      `${where}: content-type "${contentType}" not declared (${Object.keys(content).join(', ')})`,
    );
  if (!contentType.endsWith('json') || media.schema === undefined) return;
  const key = `${operation?.method} ${operation?.template} ${status} ${contentType}`;
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile(media.schema as object);
    validators.set(key, validate);
  }
  const body = JSON.parse(response.body) as unknown;
  if (!validate(body)) {
    throw new Error(
      `${where}: body does not match the spec: ${ajv.errorsText(validate.errors)}\n${response.body.slice(0, 500)}`,
    );
  }
}
