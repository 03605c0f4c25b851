import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import formbody from '@fastify/formbody';
import fastifyJwt from '@fastify/jwt';
import fastifyRedis from '@fastify/redis';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import openapiGlue from 'fastify-openapi-glue';
import type { Redis } from 'ioredis';
import { registerAuthRateLimit } from './auth/rate-limit.ts';
import { createSecurityHandlers } from './auth/security.ts';
import { closeCatalog } from './catalog/handlers.ts';
import type { Config } from './config/index.ts';
import { createDatabase, type Database } from './db/index.ts';
import type { AppDeps } from './deps.ts';
import { AppError, installErrorHandler, sendError, statusMessage } from './errors/index.ts';
import { createHandlers } from './handlers.ts';
import requestCounter from './metrics/plugin.ts';
import { DOCS_INIT_SCRIPT } from './operations/handlers.ts';
import type { LogDestination } from './plugins/log-destination.ts';
import observability, { requestIdFor } from './plugins/observability.ts';
import { createRedis } from './plugins/redis.ts';
import security from './plugins/security.ts';
import { createValidatorCompiler } from './plugins/validation.ts';
import { createMethodLookup, type LoadedSpec, loadSpec } from './spec/index.ts';

export interface BuildOptions {
  /** A database the caller owns (tests); otherwise one is opened from config and closed with the app. */
  db?: Database;
  /** A Redis client the caller owns; otherwise one is opened from config.redisUrl when set. */
  redis?: Redis;
  spec?: LoadedSpec;
  logger?: FastifyServerOptions['logger'];
  /** Where the default logger writes (src/plugins/log-destination.ts); pino's stdout when absent. */
  logDestination?: LogDestination;
}

declare module 'fastify' {
  interface FastifyInstance {
    deps: AppDeps;
  }
}

const require = createRequire(import.meta.url);

/** Whatever a handler or plugin hands the logger, these never reach the log. */
export function loggerOptions(config: Config) {
  return {
    level: config.logLevel,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'res.headers["set-cookie"]',
        'headers.authorization',
        'password',
        'token',
        'access_token',
        'refresh_token',
        '*.password',
        '*.token',
        '*.access_token',
        '*.refresh_token',
      ],
      censor: '[redacted]',
    },
  };
}

export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const spec = options.spec ?? loadSpec();
  const app = Fastify({
    logger: options.logger ?? {
      ...loggerOptions(config),
      ...(options.logDestination ? { stream: options.logDestination.stream } : {}),
    },
    bodyLimit: config.bodyLimit,
    trustProxy: config.trustProxy,
    // X-Request-Id is read (and sanitised) by requestIdFor; Fastify would take any value as it is.
    requestIdHeader: false,
    genReqId: requestIdFor,
    requestTimeout: config.requestTimeoutMs,
    handlerTimeout: config.handlerTimeoutMs,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
    // A URL the router cannot decode (`/%zz`) fails before any hook runs; answer it in the error shape too.
    frameworkErrors: (_error, _request, reply) => {
      sendError(reply as unknown as FastifyReply, 400, 'malformed URL');
    },
  });
  app.setValidatorCompiler(createValidatorCompiler());
  installErrorHandler(app);

  const ownDb = options.db === undefined;
  const created = ownDb
    ? createDatabase({
        databaseUrl: config.databaseUrl,
        dataDir: config.dataDir,
        poolSize: config.dbPoolSize,
        preparedStatements: config.dbPreparedStatements,
        // Only the message: pg-pool attaches its whole client object to the error.
        onIdleError: (err) =>
          app.log.warn({ reason: err.message }, 'an idle database connection was lost; the pool replaces it'),
      })
    : undefined;
  const db = options.db ?? created!.db;
  const ownRedis = options.redis === undefined && config.redisUrl !== undefined;
  const redis = options.redis ?? (config.redisUrl ? createRedis(config.redisUrl, app.log) : undefined);
  // The first onRequest hook, so every request is counted: 404s, 405s, errors, the docs, its own routes.
  if (config.requestCounter) await app.register(requestCounter, { config, redis });
  app.addHook('onClose', async () => {
    if (ownDb) await db.destroy();
  });
  if (redis) await app.register(fastifyRedis, { client: redis, closeClient: ownRedis });

  const deps: AppDeps = { config, db, redis, log: app.log, spec };
  app.decorate('deps', deps);
  app.addHook('onClose', () => closeCatalog(deps));

  await app.register(observability, { pool: created?.pool });
  await app.register(security, { config });

  // text/plain is not an API input: without its parser such bodies get a 415 instead of a confusing 400.
  app.removeContentTypeParser('text/plain');
  await app.register(formbody);
  await app.register(fastifyJwt, {
    secret: config.jwt.secret,
    sign: {
      iss: config.jwt.issuer,
      aud: config.jwt.audience,
      expiresIn: config.jwt.accessTtlSeconds,
      algorithm: 'HS256',
    },
    verify: { allowedIss: config.jwt.issuer, allowedAud: config.jwt.audience, algorithms: ['HS256'] },
  });

  // Fastify skips body validation for a content type the route's schema does not list: refuse it instead.
  app.addHook('preValidation', async (request) => {
    const type = request.headers['content-type'];
    const declared = (request.routeOptions.schema?.body as { content?: Record<string, unknown> } | undefined)
      ?.content;
    if (type === undefined || declared === undefined) return;
    const mediaType = type.split(';', 1)[0]?.trim().toLowerCase() ?? '';
    if (!(mediaType in declared)) {
      throw new AppError(
        415,
        `content type ${mediaType} is not accepted here; send ${Object.keys(declared).join(' or ')}`,
      );
    }
  });

  // Security runs before body validation, so an anonymous or unprivileged caller learns nothing from a 400.
  app.addHook('onRoute', (route) => {
    if (route.preHandler && !route.preValidation) {
      route.preValidation = route.preHandler;
      route.preHandler = undefined;
    }
  });

  await registerAuthRateLimit(app, deps);
  await app.register(openapiGlue, {
    specification: spec.document,
    serviceHandlers: createHandlers(deps),
    securityHandlers: createSecurityHandlers(app),
  });

  await app.register(fastifyStatic, {
    root: dirname(require.resolve('swagger-ui-dist/package.json')),
    prefix: '/docs/assets/',
    decorateReply: false,
    index: false,
  });
  app.get('/docs/init.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').send(DOCS_INIT_SCRIPT),
  );

  const allowedMethods = createMethodLookup(spec.document);
  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?', 1)[0] ?? '/';
    const allowed = allowedMethods(path);
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      reply.header('allow', allowed.join(', '));
      return sendError(reply, 405, `method ${request.method} not allowed on ${path}`);
    }
    return sendError(reply, 404, statusMessage(404));
  });

  return app;
}
