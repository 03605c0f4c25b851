import type { Client } from 'openapi-fetch';
import type { paths } from './api.ts';
import { type ApiError, MarqueeError } from './errors.ts';

type GetOperation<P extends keyof paths> = paths[P] extends { get: infer O } ? O : never;
type Query<P extends keyof paths> =
  GetOperation<P> extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;
type ListBody<P extends keyof paths> =
  GetOperation<P> extends { responses: { 200: { content: { 'application/json': infer B } } } } ? B : never;

/** Every GET list the contract pages, by `page` or by `offset`. */
export type PagedPath = {
  [P in keyof paths]: 'page' extends keyof Query<P> ? P : 'offset' extends keyof Query<P> ? P : never;
}[keyof paths];

/** One element of a paged list: the array the body is, or the array it holds. */
export type PageItem<P extends PagedPath> =
  ListBody<P> extends readonly (infer I)[]
    ? I
    : { [K in keyof ListBody<P>]: ListBody<P>[K] extends readonly (infer I)[] ? I : never }[keyof ListBody<P>];

export interface PaginateOptions<P extends PagedPath> {
  /** The first page's query (`limit`, and `page` or `offset` to start elsewhere than the beginning). */
  query?: Query<P>;
}

/** The count of the whole list where the answer states it: a `total_*` field or `X-Total-Count`. */
function totalOf(body: unknown, response: Response): number | undefined {
  const header = response.headers.get('x-total-count');
  if (header !== null) return Number(header);
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    for (const [key, value] of Object.entries(body)) if (key.startsWith('total_') && typeof value === 'number') return value;
  }
  return undefined;
}

/** The query of the `rel="next"` target of a `Link` header, or undefined when there is none. */
function nextQuery(response: Response): Record<string, string> | undefined {
  const target = /<([^>]*)>\s*;\s*rel="next"/.exec(response.headers.get('link') ?? '')?.[1];
  if (target === undefined) return undefined;
  // Targets are relative references; only their query matters, the path is the one being paged.
  return Object.fromEntries(new URL(target, 'http://relative.invalid/').searchParams);
}

/**
 * Yields every item of a paged list, asking for the next page only when the previous one is used up. Lists
 * that answer with `Link: <…>; rel="next"` are followed by cursor, which neither skips nor repeats rows when
 * others insert or delete meanwhile; the catalogue is paged by `page`.
 */
export async function* paginate<P extends PagedPath>(
  client: Client<paths>,
  path: P,
  options: PaginateOptions<P> = {},
): AsyncGenerator<PageItem<P>, void, undefined> {
  const query: Record<string, unknown> = { ...(options.query ?? {}) };
  const firstPage = Number(query.page ?? 1);
  let seen = 0;
  for (;;) {
    // The path is one of the paged lists, so its GET takes this query; TypeScript cannot follow the union.
    const get = client.GET as (path: string, init: object) => Promise<{ data?: unknown; error?: unknown; response: Response }>;
    const { data, error, response } = await get(path, { params: { query } });
    if (error !== undefined || !response.ok) throw new MarqueeError(response.status, error as ApiError);
    const items = (Array.isArray(data) ? data : Object.values(data as object).find(Array.isArray)) as PageItem<P>[] | undefined;
    if (!items || items.length === 0) return;
    yield* items;
    seen += items.length;
    const next = nextQuery(response);
    if (next !== undefined) {
      for (const key of Object.keys(query)) delete query[key];
      Object.assign(query, next);
      continue;
    }
    // The lists that page by cursor have no next link on their last page; only the catalogue names its next
    // page, in its body.
    if (Array.isArray(data) || (data as { next?: unknown }).next == null) return;
    // From page 1 the items seen are all that precede; from elsewhere the empty page past the end stops.
    const total = totalOf(data, response);
    if (total !== undefined && firstPage === 1 && seen >= total) return;
    query.page = Number(query.page ?? 1) + 1;
  }
}
