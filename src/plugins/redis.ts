import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Redis } from 'ioredis';
import type { Config } from '../config/index.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's one Redis client (the request counter duplicates it for its own settings); absent without REDIS_URL. */
    redis: Redis | undefined;
  }
}

function createRedis(url: string, log: FastifyBaseLogger): Redis {
  const redis = new Redis(url, {
    // Concurrent commands (rate limits, catalogue cache, /ready) share round trips.
    enableAutoPipelining: true,
    // Fail fast rather than queueing forever while Redis is away; callers decide what an outage means.
    maxRetriesPerRequest: 1,
    // Generous, because the timer is checked before the socket's 'connect' event after the event loop stalls (a
    // busy start-up on the embedded database): a short one reports a healthy local Redis as unreachable. A Redis
    // that never answers is still left behind after FIRST_CONTACT_MS; this only bounds each background attempt.
    connectTimeout: 10_000,
    // Connects at once, in the background: nothing waits for it, so the service starts with Redis down.
    lazyConnect: false,
  });
  // ioredis reconnects by itself; without a listener every failed attempt prints an "Unhandled error event".
  let down = false;
  redis.on('error', (error: Error) => {
    if (!down) log.warn({ reason: error.message }, 'redis unreachable; retrying in the background');
    down = true;
  });
  redis.on('ready', () => {
    if (down) log.info('redis reachable again');
    down = false;
  });
  return redis;
}

/** How long start-up gives a Redis that neither answers nor refuses. */
const FIRST_CONTACT_MS = 2000;

/**
 * Until the first connection attempt ends: a Redis that is up is ready before the first request (whose rate limit
 * would otherwise go uncounted), one that refuses or does not answer in time is left to reconnect in the background.
 */
async function firstContact(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return;
  const settled = new AbortController();
  await Promise.race([
    once(redis, 'ready', { signal: settled.signal }),
    once(redis, 'error', { signal: settled.signal }),
    sleep(FIRST_CONTACT_MS, undefined, { signal: settled.signal, ref: false }),
  ]).catch(() => {});
  settled.abort();
}

export interface RedisOptions {
  config: Config;
  /** A client the caller owns (tests): used as it is and left open on close. */
  client?: Redis | undefined;
}

/**
 * In place of @fastify/redis, which waits for the client's 'ready' event before the app may start (its index.js
 * swallows connection errors and calls back only on 'ready' or 'end'): with Redis down that wait ends in avvio's
 * plugin timeout and the process exits, while the service is meant to start and count in process until Redis is
 * back (docs/request-counter.md).
 */
async function redis(app: FastifyInstance, { config, client }: RedisOptions) {
  const own = client === undefined && config.redisUrl !== undefined ? createRedis(config.redisUrl, app.log) : undefined;
  app.decorate('redis', client ?? own);
  if (own) await firstContact(own);
  if (own) {
    app.addHook('onClose', async () => {
      // quit() would wait for a Redis that is down; a closing process has nothing left to say to it.
      if (own.status === 'ready') await own.quit().catch(() => own.disconnect());
      else own.disconnect();
    });
  }
}

export default fp(redis, { name: 'marquee-redis', fastify: '5.x' });
