import type { components } from './api.ts';

/** The one error shape of every non-2xx answer, as the contract defines it. */
export type ApiError = components['schemas']['Error'];

/** A non-2xx answer, thrown by `unwrap` and the paging iterators. */
export class MarqueeError extends Error {
  readonly status: number;
  readonly body: ApiError;

  constructor(status: number, body: ApiError) {
    super(`${status} ${body?.message ?? 'request failed'}`);
    this.name = 'MarqueeError';
    this.status = status;
    this.body = body;
  }
}

/** A 412: the `If-Match` tag sent is no longer the resource's; nothing was changed. Read it again. */
export class PreconditionFailedError extends MarqueeError {
  constructor(body: ApiError) {
    super(412, body);
    this.name = 'PreconditionFailedError';
  }
}

type Result = { data?: unknown; error?: unknown; response: Response };

function failure(result: Result): MarqueeError {
  const body = result.error as ApiError;
  return result.response.status === 412 ? new PreconditionFailedError(body) : new MarqueeError(result.response.status, body);
}

/** The data of a successful call, or a `MarqueeError` (a `PreconditionFailedError` for 412) with the typed body. */
export async function unwrap<R extends Result>(pending: Promise<R>): Promise<Exclude<R['data'], undefined>> {
  const result = await pending;
  if (result.error !== undefined || !result.response.ok) throw failure(result);
  return result.data as Exclude<R['data'], undefined>;
}

/** The `ETag` of an answer: send it back as `If-None-Match` to revalidate, or as `If-Match` to edit safely. */
export function etagOf(result: { response: Response }): string | undefined {
  return result.response.headers.get('etag') ?? undefined;
}

/** What a conditional read (`If-None-Match`) gave: the copy held is current (304), or a new one. */
export type Revalidated<D> =
  | { notModified: true; etag: string | undefined }
  | { notModified: false; etag: string | undefined; data: D };

/** Like `unwrap`, but a 304 is a result, `{ notModified: true }`, rather than an error. */
export async function revalidate<R extends Result>(pending: Promise<R>): Promise<Revalidated<Exclude<R['data'], undefined>>> {
  const result = await pending;
  const etag = etagOf(result);
  if (result.response.status === 304) return { notModified: true, etag };
  if (result.error !== undefined || !result.response.ok) throw failure(result);
  return { notModified: false, etag, data: result.data as Exclude<R['data'], undefined> };
}
