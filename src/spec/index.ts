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
