/** The parts of openapi.yaml the Postman collection is built from, with every `$ref` resolved. */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface Operation {
  method: string;
  path: string;
  operationId: string;
  summary: string;
  /** null: anonymous (`security: []`); otherwise the permissions the bearer token must carry. */
  scopes: string[] | null;
  success: { status: number; mediaType?: string; schema?: JsonObject };
  /** Documented error statuses with the schema of their body. */
  errors: Map<number, JsonObject | undefined>;
  /** Request body examples (the single `example`, or every `examples` value), in spec order. */
  bodyExamples: JsonObject[];
  pathParams: { name: string; schema: JsonObject; example?: Json }[];
}

export interface Spec {
  raw: string;
  operations: Operation[];
  /** The path templates in spec order with the methods each supports. */
  paths: Map<string, string[]>;
  /** The shared error body (`components.schemas.Error`), for statuses an operation leaves to its `default`. */
  errorSchema: JsonObject;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

function resolver(root: JsonObject) {
  const lookup = (ref: string): Json =>
    ref
      .slice(2)
      .split('/')
      .reduce<Json>((node, key) => (node as JsonObject)[key.replace(/~1/g, '/').replace(/~0/g, '~')] as Json, root);
  const deref = (node: Json, seen: string[] = []): Json => {
    if (Array.isArray(node)) return node.map((child) => deref(child, seen));
    if (node === null || typeof node !== 'object') return node;
    const ref = node.$ref;
    if (typeof ref === 'string') {
      if (seen.includes(ref)) throw new Error(`recursive $ref ${ref} cannot be embedded`);
      return deref(lookup(ref), [...seen, ref]);
    }
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, deref(value, seen)]));
  };
  return deref;
}

function jsonContent(response: JsonObject | undefined): { mediaType?: string; schema?: JsonObject } {
  const content = (response?.content ?? {}) as Record<string, JsonObject>;
  const [mediaType, media] = Object.entries(content)[0] ?? [];
  return { mediaType, schema: media?.schema as JsonObject | undefined };
}

export function loadSpec(file: string): Spec {
  const raw = readFileSync(file, 'utf8');
  const root = parse(raw) as JsonObject;
  const spec = resolver(root)(root) as JsonObject;
  const operations: Operation[] = [];
  const paths = new Map<string, string[]>();
  for (const [path, item] of Object.entries(spec.paths as Record<string, JsonObject>)) {
    const methods = Object.keys(item).filter((key) => METHODS.includes(key));
    paths.set(
      path,
      methods.map((m) => m.toUpperCase()),
    );
    for (const method of methods) {
      const op = item[method] as JsonObject | undefined;
      if (!op) continue;
      const responses = op.responses as Record<string, JsonObject>;
      const successCode = Object.keys(responses).find((code) => /^[23]\d\d$/.test(code));
      if (!successCode) throw new Error(`${method} ${path} documents no success status`);
      const errors = new Map<number, JsonObject | undefined>();
      for (const [code, response] of Object.entries(responses)) {
        if (/^[45]\d\d$/.test(code)) errors.set(Number(code), jsonContent(response).schema);
      }
      const security = (op.security ?? spec.security ?? []) as Record<string, string[]>[];
      const body = ((op.requestBody as JsonObject | undefined)?.content as Record<string, JsonObject> | undefined)?.[
        'application/json'
      ];
      const examples = body?.example
        ? [body.example]
        : Object.values((body?.examples ?? {}) as Record<string, JsonObject>).map((e) => e.value);
      const params = [...((item.parameters ?? []) as JsonObject[]), ...((op.parameters ?? []) as JsonObject[])];
      operations.push({
        method: method.toUpperCase(),
        path,
        operationId: String(op.operationId),
        summary: String(op.summary),
        scopes: security.length === 0 ? null : security.flatMap((requirement) => Object.values(requirement).flat()),
        success: { status: Number(successCode), ...jsonContent(responses[successCode]) },
        errors,
        bodyExamples: examples as JsonObject[],
        pathParams: params
          .filter((p) => p.in === 'path')
          .map((p) => ({ name: String(p.name), schema: p.schema as JsonObject, example: p.example })),
      });
    }
  }
  const errorSchema = ((spec.components as JsonObject).schemas as JsonObject).Error as JsonObject;
  return { raw, operations, paths, errorSchema };
}
