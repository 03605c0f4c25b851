import { createRequire } from 'node:module';
import fastifyRateLimit, { type FastifyRateLimitStore } from '@fastify/rate-limit';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { RATE_LIMIT_GROUP_OF } from '../../generated/tables.ts';
import type { AppDeps } from '../deps.ts';
import { AppError } from '../errors/index.ts';
import { LoginBackoff, loginBackoffHooks } from './login-backoff.ts';
import { redisFailOpen } from '../metrics/index.ts';
import { clientKey } from '../plugins/client-key.ts';
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
type StoreClass = new (options: object) => FastifyRateLimitStore;
const LocalStore = createRequire(import.meta.url)('@fastify/rate-limit/store/LocalStore.js') as StoreClass;

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

/** The logins: besides their shared limit, the per-account backoff (login-backoff.ts). */
export const LOGIN_OPERATIONS: readonly string[] = Object.keys(RATE_LIMIT_GROUP_OF).filter(
  (operationId) => RATE_LIMIT_GROUP_OF[operationId] === 'login',
);

/**
 * The plugin's stores keep a separate count per route, even for routes of one `groupId`: this store hands every
 * route of a group one child, so the group shares its count.
 */
function grouped(Base: StoreClass): StoreClass {
  return class implements FastifyRateLimitStore {
    private readonly inner: FastifyRateLimitStore;
    private readonly groups = new Map<string, FastifyRateLimitStore>();
    constructor(options: object) {
      this.inner = new Base(options);
    }
    incr(...args: Parameters<FastifyRateLimitStore['incr']>): void {
      this.inner.incr(...args);
    }
    child(routeOptions: Parameters<FastifyRateLimitStore['child']>[0]): FastifyRateLimitStore {
      const { groupId } = routeOptions as { groupId?: string };
      if (groupId === undefined) return this.inner.child(routeOptions);
      let child = this.groups.get(groupId);
      if (child === undefined) {
        child = this.inner.child({ ...routeOptions, routeInfo: { method: 'GROUP', url: groupId } } as typeof routeOptions);
        this.groups.set(groupId, child);
      }
      return child;
    }
  };
}

/** `METHOD path` of each rate-limited operation, as fastify-openapi-glue registers its route, to its operationId. */
function limitedRoutes(deps: AppDeps): Map<string, string> {
  const routes = new Map<string, string>();
  for (const [path, item] of Object.entries(deps.spec.document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method] as { operationId?: string } | undefined;
      if (operation?.operationId && operation.operationId in RATE_LIMIT_GROUP_OF) {
        routes.set(`${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`, operation.operationId);
      }
    }
  }
  return routes;
}

/**
 * Per client address, RATE_LIMIT_AUTH_MAX attempts per RATE_LIMIT_AUTH_WINDOW_MS, shared by all the logins, by all
 * the registrations and by a signed-in user's two password checks; counted in Redis when there is one, so the limit holds across processes. The logins also slow
 * an account's repeated failures from any address (login-backoff.ts). Register before the spec's routes.
 */
export async function registerAuthRateLimit(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const routes = limitedRoutes(deps);
  const { config } = deps;
  const limit = { max: config.rateLimit.max, timeWindow: config.rateLimit.windowMs };
  const backoff = loginBackoffHooks(
    new LoginBackoff(config.loginBackoff, {
      redis: deps.redis,
      keyPrefix: config.redisKeyPrefix,
      timeoutMs: config.redisTimeoutMs,
      log: app.log,
    }),
    deps.db,
  );
  // Runs before @fastify/rate-limit's own onRoute hook, which reads this route config.
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      const operationId = routes.get(`${method} ${route.url}`);
      if (operationId === undefined) continue;
      const login = LOGIN_OPERATIONS.includes(operationId);
      route.config = { ...route.config, rateLimit: { ...limit, groupId: RATE_LIMIT_GROUP_OF[operationId] } };
      if (login) {
        route.preHandler = [...[route.preHandler ?? []].flat(), backoff.preHandler];
        route.onSend = [...[route.onSend ?? []].flat(), backoff.onSend];
      }
    }
  });
  await app.register(fastifyRateLimit, {
    global: false,
    store: grouped(
      deps.redis
        ? boundedRedisStore(deps.redis, `${config.redisKeyPrefix}rate-limit:`, config.redisTimeoutMs, app.log)
        : LocalStore,
    ),
    // An IPv6 client is counted by its /64, not by each of the addresses it may use.
    keyGenerator: (request) => clientKey(request.ip),
    // A Redis outage must not lock everyone out of logging in, nor make them wait.
    skipOnError: true,
    errorResponseBuilder: (_request, context) =>
      new AppError('rate_limited', `too many requests, retry in ${context.after}`, {
        headers: { 'retry-after': String(Math.max(1, Math.ceil(context.ttl / 1000))) },
      }),
  });
}
