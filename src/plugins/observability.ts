import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type pg from 'pg';
import { httpRequestDuration, poolErrors, watchPool } from '../metrics/index.ts';

const REQUEST_ID = /^[\w.:@=+/-]{1,128}$/;

/** An incoming X-Request-Id is kept when it is short and plain (it ends up in logs and headers), else a UUID. */
export function requestIdFor(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

// find-my-way writes path parameters as `:id`; the spec and dashboards know them as `{id}`. Worked out once per
// route (a regular-expression replace on every request showed in the profile, docs/performance.md).
const routeLabels = new Map<string, string>();
function routeLabel(url: string | undefined): string {
  if (url === undefined) return 'unmatched';
  let label = routeLabels.get(url);
  if (label === undefined) {
    label = url.replace(/:(\w+)/g, '{$1}');
    routeLabels.set(url, label);
  }
  return label;
}

export interface ObservabilityOptions {
  /** The app's own pg pool, when it has one (PGlite has none). */
  pool?: pg.Pool | undefined;
}

async function observability(app: FastifyInstance, { pool }: ObservabilityOptions) {
  // Callback-style hooks: no promise per request on the hot path.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    httpRequestDuration.observe(
      {
        method: request.method,
        route: routeLabel(request.routeOptions.url),
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
    done();
  });

  if (pool) {
    // createPool already keeps an idle connection's end from crashing the process (and app.ts logs it); a
    // connection in use when PostgreSQL ends it (restart, failover, pg_terminate_backend) has no listener
    // though, and an unheard 'error' event ends the process. Its query fails by itself, and pg-pool drops the
    // connection when it comes back.
    pool.on('error', () => poolErrors.inc());
    pool.on('connect', (client) => {
      client.on('error', () => {});
    });
    const unwatch = watchPool(pool);
    app.addHook('onClose', async () => {
      unwatch();
    });
  }
}

export default fp(observability, { name: 'marquee-observability', fastify: '5.x' });
