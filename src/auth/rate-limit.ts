import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../deps.ts';
import { AppError } from '../errors/index.ts';
import { HTTP_METHODS } from '../spec/index.ts';

/** Login and registration: where passwords are guessed and accounts mass-created. */
export const RATE_LIMITED_OPERATIONS: readonly string[] = [
  'registerCollectionsUser',
  'registerUser',
  'obtainTokenPair',
  'createV1User',
  'authenticateV1',
];

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
    ...(deps.redis ? { redis: deps.redis, nameSpace: `${deps.config.redisKeyPrefix}rate-limit:` } : {}),
    // A Redis outage must not lock everyone out of logging in.
    skipOnError: true,
    errorResponseBuilder: (_request, context) =>
      new AppError(429, `too many requests, retry in ${context.after}`, {
        headers: { 'retry-after': String(Math.max(1, Math.ceil(context.ttl / 1000))) },
      }),
  });
}
