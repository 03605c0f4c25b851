import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import openapiGlue from 'fastify-openapi-glue';
import type { Redis } from 'ioredis';
import './auth/metrics.ts';
import { configureHashing } from './auth/passwords.ts';
import auditRetention from './auth/audit-retention.ts';
import authentication from './auth/plugin.ts';
import { registerAuthRateLimit } from './auth/rate-limit.ts';
import { createSecurityHandlers } from './auth/security.ts';
import { metricsAccess } from './operations/metrics-access.ts';
import { createUserChangeChannel } from './auth/user-changes.ts';
import { UserStates } from './auth/user-states.ts';
import catalogClient from './catalog/plugin.ts';
import type { Config } from './config/index.ts';
import type { Database, Notifications } from './db/index.ts';
import type { AppDeps } from './deps.ts';
import { installErrorHandler, sendError } from './errors/index.ts';
import { createHandlers } from './handler-map.ts';
import conditional from './plugins/conditional.ts';
import contentType from './plugins/content-type.ts';
import database from './plugins/database.ts';
import deadline from './plugins/deadline.ts';
import connectionClose from './plugins/connection-close.ts';
import { limitConnections } from './plugins/connection-limits.ts';
import type { LogDestination } from './plugins/log-destination.ts';
import { AccessLog } from './plugins/access-log.ts';
import docs from './plugins/docs.ts';
import idempotency from './plugins/idempotency.ts';
import unreadBodies, { createClientErrorHandler } from './plugins/http-errors.ts';
import methodNotAllowed from './plugins/method-not-allowed.ts';
import publicUrl from './plugins/public-url.ts';
import redisClient from './plugins/redis.ts';
import observability, { requestIdFor } from './plugins/observability.ts';
import requiredBody from './plugins/required-body.ts';
import security from './plugins/security.ts';
import { createValidatorCompiler } from './plugins/validation.ts';
import requestCounter from './request-counter/plugin.ts';
import { type LoadedSpec, loadSpec } from './spec/index.ts';
import tracing from './telemetry/plugin.ts';
import { traceLogFields, tracingOn } from './telemetry/tracing.ts';

export interface BuildOptions {
  /** A database the caller owns (tests); otherwise one is opened from config and closed with the app. */
  db?: Database;
  /** How the app hears `db`'s NOTIFYs; without them, each request reads its user's auth state. */
  notifications?: Notifications;
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

/** Whatever a handler or plugin hands the logger, these never reach the log. Readable lines in a terminal. */
export function loggerOptions(config: Config) {
  return {
    level: config.logLevel,
    // Log lines name the trace and span they belong to, when tracing is on (src/telemetry/).
    ...(tracingOn() ? { mixin: traceLogFields } : {}),
    ...(process.stdout.isTTY
      ? {
          transport: {
            target: 'pino-pretty',
            // One line per request: the access log's request and response become a short summary.
            options: {
              translateTime: 'HH:MM:ss.l',
              ignore: 'pid,hostname,reqId,req,res,responseTime',
              messageFormat:
                '{msg}{if req.method} {req.method} {req.url}{end}{if res.statusCode} → {res.statusCode}{end}' +
                '{if responseTime} in {responseTime} ms{end}',
            },
          },
        }
      : {}),
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'res.headers["set-cookie"]',
        'headers.authorization',
        'password',
        'current_password',
        'new_password',
        'token',
        'access_token',
        'refresh_token',
        '*.password',
        '*.current_password',
        '*.new_password',
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
    logController: new AccessLog(),
    // REQUEST_TIMEOUT_MS and HANDLER_TIMEOUT_MS have one owner, src/plugins/deadline.ts: Node.js's request timeout
    // and Fastify's handler timeout each answered on their own, and raced to answer a slow body twice.
    requestTimeout: 0,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    // On close, keep-alive sockets with no request on them are closed at once instead of lingering.
    forceCloseConnections: 'idle',
    http: {
      headersTimeout: config.headersTimeoutMs,
      // Node.js checks the headers and request timeouts only this often (30 s by default): often enough
      // that a slow-header client is cut off close to HEADERS_TIMEOUT_MS.
      connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(config.headersTimeoutMs / 4))),
    },
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
    // A URL the router cannot decode (`/%zz`) fails before any hook runs; answer it in the error shape too.
    frameworkErrors: (_error, _request, reply) => {
      sendError(reply as unknown as FastifyReply, 400, 'malformed URL', undefined, 'malformed_request');
    },
    clientErrorHandler: createClientErrorHandler(),
  });
  app.server.maxConnections = config.maxConnections;
  limitConnections(app.server, {
    perAddress: config.maxConnectionsPerAddress,
    firstByteTimeoutMs: config.firstByteTimeoutMs,
  });
  app.setValidatorCompiler(createValidatorCompiler());
  configureHashing(config.hashing);
  installErrorHandler(app);
  await app.register(connectionClose);
  await app.register(deadline, {
    requestTimeoutMs: config.requestTimeoutMs,
    handlerTimeoutMs: config.handlerTimeoutMs,
  });

  await app.register(redisClient, { config, client: options.redis });
  const { redis } = app;
  // The first onRequest hook, so every request is counted: 404s, 405s, errors, the docs, its own routes.
  if (config.requestCounter) await app.register(requestCounter, { config, redis });
  await app.register(database, { config, db: options.db, notifications: options.notifications });
  const notifications = app.dbNotifications;
  const userStates = new UserStates(app.db, notifications && createUserChangeChannel(notifications, app.log));
  app.addHook('onClose', () => userStates.close());
  const deps: AppDeps = { config, db: app.db, redis, log: app.log, spec, userStates };
  app.decorate('deps', deps);

  await app.register(observability, { pool: app.dbPool });
  if (tracingOn()) await app.register(tracing);
  await app.register(security, { config });
  await app.register(publicUrl, { config });
  await app.register(unreadBodies);
  await app.register(contentType);
  await app.register(conditional);
  await app.register(authentication, { config });
  await app.register(requiredBody, { document: spec.document });
  await registerAuthRateLimit(app, deps);
  await app.register(auditRetention);
  await app.register(catalogClient, { config });
  await app.register(idempotency, { deps });
  await app.register(openapiGlue, {
    specification: spec.document,
    serviceHandlers: createHandlers(deps, app.catalogClient),
    securityHandlers: { ...createSecurityHandlers(app), metricsToken: metricsAccess(config) },
  });
  await app.register(docs);
  await app.register(methodNotAllowed, { spec });
  return app;
}
