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
  schema?: { default?: unknown };
}

/** The default the spec gives a shared query parameter (`components.parameters`). */
export function parameterDefault(document: OpenApiDocument, name: string): number {
  const parameters = document.components?.parameters as Record<string, ParameterObject> | undefined;
  const value = parameters?.[name]?.schema?.default;
  if (typeof value !== 'number') throw new Error(`openapi.yaml gives parameter ${name} no numeric default`);
  return value;
}

/**
 * LIMIT and OFFSET for `?page&limit`. Ajv has filled in the spec's defaults already; they are read from the
 * spec again only because the generated types cannot say a defaulted parameter is always there.
 */
export function pageOf(spec: LoadedSpec, query: { page?: number; limit?: number }) {
  const limit = query.limit ?? parameterDefault(spec.document, 'Limit');
  const page = query.page ?? parameterDefault(spec.document, 'Page');
  return { page, limit, offset: (page - 1) * limit };
}
