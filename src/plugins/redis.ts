import { Redis } from 'ioredis';

export function createRedis(url: string): Redis {
  return new Redis(url, {
    // Concurrent commands share round trips; the counter's INCR on every request depends on it.
    enableAutoPipelining: true,
    // Fail fast rather than queueing forever while Redis is away; callers decide what an outage means.
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    lazyConnect: false,
  });
}
