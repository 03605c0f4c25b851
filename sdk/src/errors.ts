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

type Result = { data?: unknown; error?: unknown; response: Response };

/** The data of a successful call, or a `MarqueeError` carrying the typed error body. */
export async function unwrap<R extends Result>(pending: Promise<R>): Promise<Exclude<R['data'], undefined>> {
  const result = await pending;
  if (result.error !== undefined || !result.response.ok) {
    throw new MarqueeError(result.response.status, result.error as ApiError);
  }
  return result.data as Exclude<R['data'], undefined>;
}
