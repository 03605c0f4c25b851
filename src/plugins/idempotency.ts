import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { EXTERNAL_USER_ID } from '../auth/security.ts';
import type { AppDeps } from '../deps.ts';
import { AppError, retryAfter } from '../errors/index.ts';
import { claimKey, completeKey, findKey, type KeyScope, purgeExpiredKeys, releaseKey } from '../idempotency/queries.ts';
import { HTTP_METHODS, type OpenApiDocument } from '../spec/index.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The Idempotency-Key this request claimed: its answer is stored for replays. */
    idempotencyKey?: KeyScope | undefined;
  }
}

const KEY_PARAMETER = '#/components/parameters/IdempotencyKey';
/** How often expired keys are deleted; a claim also takes over an expired key at once. */
const PURGE_INTERVAL_MS = 10 * 60 * 1000;
/** The headers of an answer that a replay repeats with its status and body: where the resource is, and its tag. */
const REPLAYED_HEADERS = ['location', 'etag'];

/** How long a client is asked to wait while the first request with its key is still running. */
const RETRY_AFTER_SECONDS = 1;

/** `METHOD path` → operationId of each operation whose spec declares the Idempotency-Key header. */
function idempotentRoutes(document: OpenApiDocument): Map<string, string> {
  const routes = new Map<string, string>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method] as { operationId?: string; parameters?: { $ref?: string }[] } | undefined;
      if (operation?.operationId && operation.parameters?.some((p) => p.$ref === KEY_PARAMETER)) {
        routes.set(`${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`, operation.operationId);
      }
    }
  }
  return routes;
}

/** JSON with every object's keys in one order: a retry that sends its fields in another order is the same body. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** What must be the same for a repeat to be a replay: the operation's target and its body as parsed. */
function requestHash(request: FastifyRequest): string {
  return createHash('sha256')
    .update(`${request.method} ${request.url}\n${canonicalJson(request.body ?? null)}`)
    .digest('base64url');
}

/**
 * `Idempotency-Key` on the creating POSTs (the operations whose spec declares it), per user and operation,
 * kept in PostgreSQL so that it holds across processes and restarts. The check runs after the route's
 * security handler, which tells whose key it is. Answers below 500 are stored and replayed; a 5xx lets the
 * key go, so the client may retry with it.
 */
async function idempotency(app: FastifyInstance, { deps }: { deps: AppDeps }) {
  const { db, config } = deps;
  const routes = idempotentRoutes(deps.spec.document);
  const times = {
    ttlSeconds: config.idempotencyTtlSeconds,
    // A claim outliving the longest a handler may run was abandoned by a process that died mid-request.
    abandonSeconds: Math.max(60, Math.ceil(config.handlerTimeoutMs / 1000) * 2),
  };
  app.decorateRequest('idempotencyKey', undefined);

  const check = (operation: string): preHandlerHookHandler =>
    async function checkIdempotencyKey(request: FastifyRequest, reply: FastifyReply) {
      const key = request.headers['idempotency-key'];
      // Callers of an external identity provider have no user row to scope a key to.
      if (typeof key !== 'string' || request.user.id === EXTERNAL_USER_ID) return;
      const scope = { userId: request.user.id, operation, key };
      const hash = requestHash(request);
      if (await claimKey(db, scope, hash, times)) {
        request.idempotencyKey = scope;
        return;
      }
      const stored = await findKey(db, scope);
      if (stored && stored.request_hash !== hash) {
        throw new AppError('idempotency_key_reused', 'this idempotency key was used with another request body');
      }
      if (!stored || stored.status_code === null || stored.response_body === null) {
        throw new AppError('idempotency_in_progress', 'a request with this idempotency key is in progress', {
          headers: retryAfter(RETRY_AFTER_SECONDS),
        });
      }
      reply.headers(JSON.parse(stored.response_headers ?? '{}') as Record<string, string>);
      reply.header('idempotent-replayed', 'true').code(stored.status_code).type('application/json; charset=utf-8');
      return reply.send(stored.response_body);
    };

  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      const operation = routes.get(`${method} ${route.url}`);
      if (operation) route.preHandler = [route.preHandler ?? [], check(operation)].flat();
    }
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const scope = request.idempotencyKey;
    if (scope === undefined) return payload;
    request.idempotencyKey = undefined;
    try {
      if (reply.statusCode >= 500) await releaseKey(db, scope);
      else {
        const body = Buffer.isBuffer(payload) ? payload.toString() : String(payload);
        const headers: Record<string, string> = {};
        for (const name of REPLAYED_HEADERS) {
          const value = reply.getHeader(name);
          if (value !== undefined) headers[name] = String(value);
        }
        await completeKey(db, scope, { status: reply.statusCode, body, headers });
      }
    } catch (error) {
      // The answer is sent regardless; the key stays claimed until abandoned, so a retry meanwhile gets a 409.
      request.log.warn({ err: error }, 'could not store the answer of an idempotency key');
    }
    return payload;
  });

  const purge = () => {
    purgeExpiredKeys(db).catch((error: unknown) => app.log.warn({ err: error }, 'purging idempotency keys failed'));
  };
  const timer = setInterval(purge, PURGE_INTERVAL_MS).unref();
  app.addHook('onReady', async () => purge());
  app.addHook('onClose', async () => clearInterval(timer));
}

export default fp(idempotency, { name: 'marquee-idempotency', fastify: '5.x' });
