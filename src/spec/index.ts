import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const SPEC_PATH = fileURLToPath(new URL('../../openapi.yaml', import.meta.url));

export interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>;
  components?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface LoadedSpec {
  yaml: string;
  document: OpenApiDocument;
  json: string;
}

export function loadSpec(path = SPEC_PATH): LoadedSpec {
  const yaml = readFileSync(path, 'utf8');
  const document = parse(yaml) as OpenApiDocument;
  return { yaml, document, json: JSON.stringify(document) };
}

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

interface PathRule {
  pattern: RegExp;
  methods: string[];
}

/** Which methods the spec allows on a concrete URL path (trailing slash ignored); empty when the path is unknown. */
export function createMethodLookup(document: OpenApiDocument): (urlPath: string) => string[] {
  const rules: PathRule[] = Object.entries(document.paths).map(([path, item]) => {
    const methods = HTTP_METHODS.filter((method) => method in item).map((method) => method.toUpperCase());
    if (methods.includes('GET') && !methods.includes('HEAD')) methods.push('HEAD');
    const source = path
      .replace(/\/+$/, '')
      .split('/')
      .map((segment) =>
        /^\{[^}]+\}$/.test(segment) ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
      )
      .join('/');
    return { pattern: new RegExp(`^${source}/?$`), methods };
  });
  return (urlPath) => {
    const allowed = new Set<string>();
    for (const rule of rules) {
      if (rule.pattern.test(urlPath)) for (const method of rule.methods) allowed.add(method);
    }
    return [...allowed];
  };
}

interface ParameterObject {
  $ref?: string;
  name?: string;
  in?: string;
  schema?: { default?: unknown };
}

const SCHEMA_REF = '#/components/schemas/';

/** One of the spec's component schemas with its references written out, to validate input that no route carries. */
export function componentSchema(document: OpenApiDocument, name: string): Record<string, unknown> {
  const schemas = (document.components?.schemas ?? {}) as Record<string, unknown>;
  const inline = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(inline);
    if (node === null || typeof node !== 'object') return node;
    const ref = (node as { $ref?: unknown }).$ref;
    if (typeof ref === 'string' && ref.startsWith(SCHEMA_REF)) return inline(schemas[ref.slice(SCHEMA_REF.length)]);
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, inline(value)]));
  };
  if (!(name in schemas)) throw new Error(`openapi.yaml has no schema ${name}`);
  return inline(schemas[name]) as Record<string, unknown>;
}

function resolveParameter(document: OpenApiDocument, parameter: ParameterObject): ParameterObject {
  if (parameter.$ref === undefined) return parameter;
  const name = parameter.$ref.replace('#/components/parameters/', '');
  return (document.components?.parameters as Record<string, ParameterObject>)[name] ?? parameter;
}

/**
 * The query string of an operation with the spec's defaults filled in. Ajv has applied them already; this only
 * tells the types so, because the generated types cannot say that a defaulted parameter is always there.
 */
export function queryWithDefaults(document: OpenApiDocument, operationId: string) {
  const operation = Object.values(document.paths)
    .flatMap((item) => Object.values(item) as { operationId?: string; parameters?: ParameterObject[] }[])
    .find((candidate) => candidate.operationId === operationId);
  if (!operation) throw new Error(`openapi.yaml has no operation ${operationId}`);
  const defaults: Record<string, unknown> = {};
  for (const parameter of (operation.parameters ?? []).map((p) => resolveParameter(document, p))) {
    if (parameter.in === 'query' && parameter.name && parameter.schema?.default !== undefined) {
      defaults[parameter.name] = parameter.schema.default;
    }
  }
  return <Q extends object>(query: Q) => ({ ...defaults, ...query }) as Required<Q>;
}

/** The operationIds whose request body the spec marks `required: true` (inline or through a requestBodies $ref). */
export function operationsRequiringBody(document: OpenApiDocument): Set<string> {
  const shared = (document.components?.requestBodies ?? {}) as Record<string, { required?: boolean }>;
  const required = new Set<string>();
  for (const item of Object.values(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method] as
        | { operationId?: string; requestBody?: { required?: boolean; $ref?: string } }
        | undefined;
      let body = operation?.requestBody;
      if (body?.$ref !== undefined) body = shared[body.$ref.replace('#/components/requestBodies/', '')];
      if (operation?.operationId && body?.required === true) required.add(operation.operationId);
    }
  }
  return required;
}
