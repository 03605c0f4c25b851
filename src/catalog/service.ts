import type { AppDeps } from '../deps.ts';
import { AppError, notFound, retryAfter } from '../errors/index.ts';
import { createPageCache } from './cache.ts';
import { type CatalogClient, type CatalogPage, isUnavailable, UpstreamError } from './client.ts';

/** A page to answer with; `storedAt` is set when it is the last good copy rather than a fresh one. */
export interface Loaded {
  page: CatalogPage;
  storedAt?: number;
}

/** The value, or undefined when it takes longer than `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, ms));
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

function upstreamFailure(error: unknown, retryAfterSeconds: number): AppError {
  if (isUnavailable(error)) {
    return new AppError('dependency_unavailable', 'movie catalogue unavailable', {
      headers: retryAfter(retryAfterSeconds),
    });
  }
  if (error instanceof UpstreamError && error.kind === 'rejected') {
    return new AppError('bad_gateway', `the movie catalogue refused the request (HTTP ${error.status})`);
  }
  if (error instanceof UpstreamError) {
    return new AppError('bad_gateway', 'invalid response from the movie catalogue');
  }
  throw error;
}

/**
 * Catalogue pages: fresh from the upstream when it answers within the deadline, else the last good copy (marked
 * with when it was stored), else a domain error saying what failed.
 */
export function createCatalogService(deps: AppDeps, client: CatalogClient) {
  const { config, log } = deps;
  const settings = config.movieApi;
  const cache = createPageCache({
    redis: deps.redis,
    keyPrefix: config.redisKeyPrefix,
    entries: settings.cacheEntries,
    log,
  });
  const inFlight = new Map<number, Promise<Loaded>>();

  async function load(pageNumber: number): Promise<Loaded> {
    const started = Date.now();
    try {
      const page = await client.fetchPage(pageNumber);
      // Not awaited: the caller has its page; the write cannot fail the request (the cache logs its errors).
      void cache.set(pageNumber, { storedAt: Date.now(), page });
      return { page };
    } catch (error) {
      if (error instanceof UpstreamError && error.kind === 'not-found') {
        throw notFound(`catalogue page ${pageNumber} not found`);
      }
      const reason = error instanceof Error ? error.message : 'unexpected failure';
      const copy = await within(cache.get(pageNumber), settings.deadlineMs - (Date.now() - started));
      if (copy) {
        log.warn({ page: pageNumber, reason }, 'movie catalogue failed; serving the last good copy');
        return copy;
      }
      log.warn({ page: pageNumber, reason }, 'movie catalogue failed and no copy is kept');
      throw upstreamFailure(error, client.retryAfterSeconds());
    }
  }

  /** Concurrent requests for one page share one upstream call (and its deadline). */
  function loadShared(pageNumber: number): Promise<Loaded> {
    let pending = inFlight.get(pageNumber);
    if (!pending) {
      pending = load(pageNumber).finally(() => inFlight.delete(pageNumber));
      inFlight.set(pageNumber, pending);
    }
    return pending;
  }

  return { loadPage: loadShared };
}
