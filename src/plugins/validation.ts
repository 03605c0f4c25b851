import { Ajv2020, type Options } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

// ajv-formats is CommonJS; under nodenext its default import is the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

// OpenAPI annotations Ajv does not know; declaring them keeps strict mode on for everything else.
const OPENAPI_KEYWORDS = ['example', 'discriminator', 'xml', 'externalDocs'];

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
  for (const keyword of OPENAPI_KEYWORDS) ajv.addKeyword(keyword);
  return ajv;
}

/**
 * OpenAPI 3.1 schemas are JSON Schema 2020-12. Bodies are validated as sent (a string is not a number);
 * query strings and path parameters arrive as text and are coerced to the spec's types.
 */
export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const bodyAjv = createAjv({ coerceTypes: false });
  const paramsAjv = createAjv({ coerceTypes: 'array' });
  return ({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? bodyAjv : paramsAjv;
    return ajv.compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;
  };
}
