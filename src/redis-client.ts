import type { FastifyBaseLogger } from 'fastify';
import { Redis } from 'ioredis';

export function createRedis(url: string, log: FastifyBaseLogger): Redis {
  const redis = new Redis(url, {
    // Concurrent commands (rate limits, catalogue cache, /ready) share round trips.
    enableAutoPipelining: true,
    // Fail fast rather than queueing forever while Redis is away; callers decide what an outage means.
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
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
