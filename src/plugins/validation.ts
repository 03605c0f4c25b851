import { _, Ajv2020, type ErrorObject, type Options } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { tracer, tracingOn } from '../telemetry/tracing.ts';

// ajv-formats is CommonJS; under nodenext its default import is the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

// OpenAPI annotations Ajv does not know, and the spec's own extensions on schemas (the Role table); declaring them
// keeps strict mode on for everything else.
const OPENAPI_KEYWORDS = ['example', 'discriminator', 'xml', 'externalDocs', 'x-permissions'];

/** Added to every string schema: PostgreSQL text cannot hold NUL, and stores a lone surrogate as U+FFFD. */
const PLAIN_TEXT = 'plainText';
export const PLAIN_TEXT_MESSAGE = 'must be well-formed Unicode without NUL characters';

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Whether the day exists in the (proleptic Gregorian) calendar PostgreSQL stores, from year 1. */
function isCalendarDay(y: number, m: number, d: number): boolean {
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = m === 2 && leap ? 29 : DAYS_IN_MONTH[m - 1];
  return y >= 1 && days !== undefined && d >= 1 && d <= days;
}

const dayOf = (shape: RegExp) => (value: string) => {
  const parts = shape.exec(value)?.groups;
  return parts !== undefined && isCalendarDay(Number(parts.y), Number(parts.m), Number(parts.d));
};

/** Formats the spec uses where JSON Schema has none: a date that names a real day, in the seeds' spellings. */
export const DATE_FORMATS = {
  /** YYYY-MM-DD, or the rbac seed's DD-MM-YYYY. */
  'calendar-date': (value: string) =>
    dayOf(/^(?<y>\d{4})-(?<m>\d{2})-(?<d>\d{2})$/)(value) ||
    dayOf(/^(?<d>\d{2})-(?<m>\d{2})-(?<y>\d{4})$/)(value),
  /** The all-stars seed's YYYYMMDD. */
  'compact-date': dayOf(/^(?<y>\d{4})(?<m>\d{2})(?<d>\d{2})$/),
};

/**
 * Formats whose value reaches PostgreSQL, narrowed to what it accepts: ajv-formats' `uuid` also takes a
 * `urn:uuid:` prefix, which the uuid type refuses (a 500 before). The spellings each format must refuse are
 * tried against the database itself in test/spec/formats.test.ts.
 */
const DATABASE_FORMATS = {
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
};

function createAjv(options: Options): Ajv2020 {
  const ajv = new Ajv2020({
    allErrors: true,
    useDefaults: true,
    strict: true,
    strictRequired: false,
    ...options,
  });
  addFormats(ajv);
  for (const [name, validate] of Object.entries(DATE_FORMATS)) {
    ajv.addFormat(name, { type: 'string', validate });
  }
  for (const [name, shape] of Object.entries(DATABASE_FORMATS)) ajv.addFormat(name, shape);
  // PostgreSQL's dates start at year 1 and its offsets end at ±15:59; ajv-formats takes year 0000 and ±23:59.
  for (const name of ['date', 'date-time']) {
    const original = ajv.formats[name] as { validate: (value: string) => boolean };
    ajv.addFormat(name, {
      type: 'string',
      validate: (value: string) =>
        !value.startsWith('0000') && !/[+-](1[6-9]|2\d):\d\d$/.test(value) && original.validate(value),
    });
  }
  for (const keyword of OPENAPI_KEYWORDS) ajv.addKeyword(keyword);
  ajv.addKeyword({
    keyword: PLAIN_TEXT,
    type: 'string',
    schemaType: 'boolean',
    code(cxt) {
      cxt.fail(_`!${cxt.data}.isWellFormed() || ${cxt.data}.includes(${'\u0000'})`);
    },
    error: { message: PLAIN_TEXT_MESSAGE },
  });
  return ajv;
}

type Schema = Record<string, unknown>;

function isStringSchema(node: Schema): boolean {
  return node.type === 'string' || (Array.isArray(node.type) && node.type.includes('string'));
}

/** A copy of the schema with the plain-text rule on every string, wherever it is nested. */
function withPlainText(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withPlainText);
  if (node === null || typeof node !== 'object') return node;
  const copy: Schema = Object.fromEntries(
    Object.entries(node).map(([key, value]) => [key, key === 'enum' || key === 'const' ? value : withPlainText(value)]),
  );
  if (isStringSchema(copy)) copy[PLAIN_TEXT] = true;
  return copy;
}

/**
 * Path and query integers arrive as text, and Ajv's coercion takes anything `Number()` takes (`0x36b`, `1e0`,
 * ` 1`, `Infinity`). The spec gives each such parameter a `pattern`; it is applied to the text as sent, before
 * coercion, and a parameter without one is a spec error caught at start-up.
 */
function textPatterns(schema: Schema): { schema: Schema; patterns: Map<string, RegExp> } {
  const patterns = new Map<string, RegExp>();
  const properties = schema.properties as Record<string, Schema> | undefined;
  if (!properties) return { schema, patterns };
  const stripped: Record<string, Schema> = {};
  for (const [name, property] of Object.entries(properties)) {
    if (property.type !== 'integer') {
      stripped[name] = property;
      continue;
    }
    if (typeof property.pattern !== 'string') {
      throw new Error(`integer parameter "${name}" has no pattern in openapi.yaml`);
    }
    patterns.set(name, new RegExp(property.pattern, 'u'));
    const { pattern: _pattern, ...rest } = property;
    stripped[name] = rest;
  }
  return { schema: { ...schema, properties: stripped }, patterns };
}

/**
 * Node.js lower-cases request header names; Fastify lower-cases a header schema to match only for its own
 * compiler, so a custom one must do it (the spec spells headers `Idempotency-Key`).
 */
function lowerCaseHeaders(schema: Schema): Schema {
  const properties = schema.properties as Record<string, unknown> | undefined;
  const required = schema.required as string[] | undefined;
  return {
    ...schema,
    ...(properties
      ? { properties: Object.fromEntries(Object.entries(properties).map(([name, value]) => [name.toLowerCase(), value])) }
      : {}),
    ...(required ? { required: required.map((name) => name.toLowerCase()) } : {}),
  };
}

type Validate = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

/**
 * OpenAPI 3.1 schemas are JSON Schema 2020-12. Bodies are validated as sent (a string is not a number);
 * query strings and path parameters arrive as text and are coerced to the spec's types once their text passes.
 */
export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const bodyAjv = createAjv({ coerceTypes: false });
  const paramsAjv = createAjv({ coerceTypes: 'array' });
  const compile = ({ schema, httpPart }: { schema: unknown; httpPart?: string }): Validate => {
    const plain = withPlainText(schema) as Schema;
    if (httpPart === 'body') return bodyAjv.compile(plain) as Validate;
    if (httpPart === 'headers') return paramsAjv.compile(lowerCaseHeaders(plain)) as Validate;
    const { schema: coercible, patterns } = textPatterns(plain);
    const compiled = paramsAjv.compile(coercible);
    const validate: Validate = (data) => {
      const values = (data ?? {}) as Record<string, unknown>;
      const refused: ErrorObject[] = [];
      for (const [name, pattern] of patterns) {
        const value = values[name];
        if (typeof value === 'string' && !pattern.test(value)) {
          refused.push({
            instancePath: `/${name}`,
            keyword: 'pattern',
            message: 'must be a decimal integer written without signs, spaces or leading zeros',
            params: { pattern: pattern.source },
            schemaPath: `#/properties/${name}/pattern`,
          });
        }
      }
      if (refused.length > 0) {
        validate.errors = refused;
        return false;
      }
      const valid = compiled(data);
      validate.errors = compiled.errors;
      return valid;
    };
    return validate;
  };
  // With tracing on, each part's validation is a span of the request's trace; off, the validator is returned as is.
  return (route) => {
    const validate = compile(route);
    return tracingOn() ? traced(validate, `validate ${route.httpPart ?? 'input'}`) : validate;
  };
}

function traced(validate: Validate, name: string): Validate {
  const wrapper: Validate = (data) => {
    const span = tracer.startSpan(name);
    try {
      const valid = validate(data);
      wrapper.errors = validate.errors;
      span.setAttribute('marquee.valid', valid);
      return valid;
    } finally {
      span.end();
    }
  };
  return wrapper;
}
