import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { CatalogPage } from './client.ts';

/** The last good copy of a page and when it was fetched (epoch milliseconds). */
export interface StoredPage {
  storedAt: number;
  page: CatalogPage;
}

export interface PageCache {
  /** Undefined when there is no copy, or the store could not be read. */
  get(page: number): Promise<StoredPage | undefined>;
  set(page: number, stored: StoredPage): Promise<void>;
}

// Long enough to ride out any outage worth riding out; short enough that pages of a catalogue that has
// since shrunk do not linger in a shared Redis forever.
const REDIS_TTL_SECONDS = 7 * 24 * 3600;

export interface PageCacheOptions {
  redis: Redis | undefined;
  keyPrefix: string;
  /** Pages kept in memory when there is no Redis. */
  entries: number;
  log: FastifyBaseLogger;
}

/** Redis when configured, shared by every process; otherwise a bounded in-memory LRU for this process. */
export function createPageCache({ redis, keyPrefix, entries, log }: PageCacheOptions): PageCache {
  if (!redis) {
    const lru = new LRUCache<number, StoredPage>({ max: entries });
    return {
      get: async (page) => lru.get(page),
      set: async (page, stored) => {
        lru.set(page, stored);
      },
    };
  }
  const key = (page: number) => `${keyPrefix}catalog:page:${page}`;
  return {
    async get(page) {
      try {
        const raw = await redis.get(key(page));
        return raw === null ? undefined : (JSON.parse(raw) as StoredPage);
      } catch (err) {
        log.warn({ err }, 'catalogue cache read failed; answering as if there were no copy');
        return undefined;
      }
    },
    async set(page, stored) {
      try {
        await redis.set(key(page), JSON.stringify(stored), 'EX', REDIS_TTL_SECONDS);
      } catch (err) {
        log.warn({ err }, 'catalogue cache write failed; the page is served but not kept');
      }
    },
  };
}
