import { createRequire } from 'node:module';
import fastifyRateLimit, { type FastifyRateLimitStore } from '@fastify/rate-limit';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { RATE_LIMITED_OPERATIONS } from '../../generated/tables.ts';
import type { AppDeps } from '../deps.ts';
import { AppError } from '../errors/index.ts';
import { redisFailOpen } from '../metrics/index.ts';
import { HTTP_METHODS } from '../spec/index.ts';

type StoreCallback = Parameters<FastifyRateLimitStore['incr']>[1];
type RedisStoreClass = new (
  continueExceeding: boolean,
  exponentialBackoff: boolean,
  redis: Redis,
  key: string,
) => FastifyRateLimitStore;
// The plugin's own Redis store (its Lua script), which the package does not export by name.
const RedisStore = createRequire(import.meta.url)('@fastify/rate-limit/store/RedisStore.js') as RedisStoreClass;

/** Logs the first failure of an outage and the recovery, not every request in between. */
class Outage {
  private down = false;
  private readonly log: FastifyBaseLogger;

  constructor(log: FastifyBaseLogger) {
    this.log = log;
  }

  failed(reason: string): Error {
    redisFailOpen.inc({ use: 'rate_limit' });
    if (!this.down) {
      this.down = true;
      this.log.warn({ reason }, 'rate limiter: Redis unavailable; requests go through unlimited until it is back');
    }
    return new Error(reason);
  }

  answered(): void {
    if (!this.down) return;
    this.down = false;
    this.log.info('rate limiter: Redis answers again; limits apply');
  }
}

/**
 * The Redis store with a bound on waiting: a disconnected Redis fails at once and a slow one after `timeoutMs`,
 * and the plugin (skipOnError) lets the request through. Otherwise a login would wait out Redis reconnects.
 */
class BoundedStore implements FastifyRateLimitStore {
  private readonly inner: FastifyRateLimitStore;
  private readonly redis: Redis;
  private readonly timeoutMs: number;
  private readonly outage: Outage;

  constructor(inner: FastifyRateLimitStore, redis: Redis, timeoutMs: number, outage: Outage) {
    this.inner = inner;
    this.redis = redis;
    this.timeoutMs = timeoutMs;
    this.outage = outage;
  }

  incr(key: string, callback: StoreCallback, timeWindow: number, max: number): void {
    if (this.redis.status !== 'ready') return callback(this.outage.failed(`Redis is ${this.redis.status}`));
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      callback(this.outage.failed(`no answer from Redis within ${this.timeoutMs} ms`));
    }, this.timeoutMs);
    this.inner.incr(
      key,
      (error, result) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) return callback(this.outage.failed(error.message));
        this.outage.answered();
        callback(null, result);
      },
      timeWindow,
      max,
    );
  }

  child(routeOptions: Parameters<FastifyRateLimitStore['child']>[0]): FastifyRateLimitStore {
    return new BoundedStore(this.inner.child(routeOptions), this.redis, this.timeoutMs, this.outage);
  }
}

function boundedRedisStore(redis: Redis, nameSpace: string, timeoutMs: number, log: FastifyBaseLogger) {
  const outage = new Outage(log);
  return class extends BoundedStore {
    constructor(options: { continueExceeding?: boolean; exponentialBackoff?: boolean }) {
      const inner = new RedisStore(
        options.continueExceeding ?? false,
        options.exponentialBackoff ?? false,
        redis,
        nameSpace,
      );
      super(inner, redis, timeoutMs, outage);
    }
  };
}

/** `METHOD path` of each rate-limited operation, as fastify-openapi-glue registers its route. */
function limitedRoutes(deps: AppDeps): Set<string> {
  const routes = new Set<string>();
  for (const [path, item] of Object.entries(deps.spec.document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method] as { operationId?: string } | undefined;
      if (operation?.operationId && RATE_LIMITED_OPERATIONS.includes(operation.operationId)) {
        routes.add(`${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`);
      }
    }
  }
  return routes;
}

/**
 * Per client and route, RATE_LIMIT_AUTH_MAX attempts per RATE_LIMIT_AUTH_WINDOW_MS; counted in Redis when there
 * is one, so the limit holds across processes. Register before the spec's routes.
 */
export async function registerAuthRateLimit(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const routes = limitedRoutes(deps);
  const limit = { max: deps.config.rateLimit.max, timeWindow: deps.config.rateLimit.windowMs };
  // Runs before @fastify/rate-limit's own onRoute hook, which reads this route config.
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (routes.has(`${method} ${route.url}`)) route.config = { ...route.config, rateLimit: limit };
    }
  });
  await app.register(fastifyRateLimit, {
    global: false,
    ...(deps.redis
      ? {
          store: boundedRedisStore(
            deps.redis,
            `${deps.config.redisKeyPrefix}rate-limit:`,
            deps.config.redisTimeoutMs,
            app.log,
          ),
        }
      : {}),
    // A Redis outage must not lock everyone out of logging in, nor make them wait.
    skipOnError: true,
    errorResponseBuilder: (_request, context) =>
      new AppError(429, `too many requests, retry in ${context.after}`, {
        headers: { 'retry-after': String(Math.max(1, Math.ceil(context.ttl / 1000))) },
      }),
  });
}
