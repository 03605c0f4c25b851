import { AppError } from '../errors/index.ts';

// A cursor is the sort key of the last row a page returned, with the list it belongs to, as base64url JSON:
// `["actors",28]`. It carries nothing a client could not choose for itself (any key only starts a page
// elsewhere in the same order), so it is validated strictly rather than signed.

/** A row's position in a list's order: its sort key values, the unique tie-breaker last. */
export type SortKey = readonly (string | number)[];

const MAX_ID = 2147483647;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

const isId = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_ID;
/** A real instant written as the links write it: Date.parse would roll 30 February over into March. */
const isTimestamp = (value: unknown): value is string =>
  typeof value === 'string' &&
  TIMESTAMP.test(value) &&
  !value.startsWith('0000') &&
  Number.isFinite(Date.parse(value)) &&
  new Date(value).toISOString().slice(0, 19) === value.slice(0, 19);

/** What each list's key holds, in order. */
const KEY_SHAPES = {
  actors: [isId],
  movies: [isId],
  users: [isId],
  messages: [isTimestamp, isId],
} as const satisfies Record<string, readonly ((value: unknown) => boolean)[]>;

export type ListName = keyof typeof KEY_SHAPES;

const invalid = () => new AppError('invalid_cursor', 'invalid cursor', {
  details: [{ field: 'cursor', message: 'is not a cursor of this list; use the one a Link header gave' }],
});

export function encodeCursor(list: ListName, key: SortKey): string {
  return Buffer.from(JSON.stringify([list, ...key])).toString('base64url');
}

/** The sort key a cursor names; `invalid_cursor` for anything this list's links could not have produced. */
export function decodeCursor(list: ListName, cursor: string): SortKey {
  let parsed: unknown;
  try {
    const text = Buffer.from(cursor, 'base64url').toString('utf8');
    // Only the canonical spelling: Buffer skips stray characters and padding silently.
    if (Buffer.from(text).toString('base64url') !== cursor) throw invalid();
    parsed = JSON.parse(text);
  } catch {
    throw invalid();
  }
  const shape: readonly ((value: unknown) => boolean)[] = KEY_SHAPES[list];
  if (!Array.isArray(parsed) || parsed.length !== shape.length + 1 || parsed[0] !== list) throw invalid();
  const key = parsed.slice(1) as (string | number)[];
  if (!shape.every((check, index) => check(key[index]))) throw invalid();
  return key;
}

/** A page as the handlers ask for it: by offset, or after a row's sort key (then the offset is 0). */
export interface PageRequest<K extends SortKey = SortKey> {
  limit: number;
  offset: number;
  after?: K;
}

/**
 * The page a list request asks for: `cursor` wins over `offset`. One row more than the page is read, so
 * whether another page follows is known without a count.
 */
export function pageRequest(
  list: ListName,
  query: { limit: number; offset: number; cursor?: string | undefined },
): PageRequest {
  if (query.cursor === undefined) return { limit: query.limit, offset: query.offset };
  return { limit: query.limit, offset: 0, after: decodeCursor(list, query.cursor) };
}

/** `<path?limit=…&cursor=…>; rel="next"` after the last row of a page, or undefined on the last page. */
export function nextLink<T>(
  path: string,
  list: ListName,
  page: { limit: number },
  rows: readonly T[],
  keyOf: (row: T) => SortKey,
): string | undefined {
  const last = rows[page.limit - 1];
  if (rows.length <= page.limit || last === undefined) return undefined;
  return `<${path}?limit=${page.limit}&cursor=${encodeCursor(list, keyOf(last))}>; rel="next"`;
}
