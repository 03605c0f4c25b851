import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type pg from 'pg';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * One registry per process. Each area declares its own series next to its code (catalog/metrics.ts,
 * request-counter/metrics.ts) and registers them here; several apps in one process (tests) add to the same
 * series.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

export const httpRequestDuration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'Request duration by method, route template and status.',
  labelNames: ['method', 'route', 'status_code'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

export const REDIS_FAIL_OPEN_USES = ['rate_limit', 'request_counter'] as const;

export const redisFailOpen = new Counter({
  name: 'marquee_redis_fail_open_total',
  help:
    'Requests that went ahead without Redis (unreachable, or slower than REDIS_TIMEOUT_MS), by use: ' +
    'rate_limit (not limited), request_counter (counted in this process, handed over later).',
  labelNames: ['use'] as const,
  registers: [registry],
});
for (const use of REDIS_FAIL_OPEN_USES) redisFailOpen.inc({ use }, 0);

const pools = new Set<pg.Pool>();

new Gauge({
  name: 'marquee_db_pool_connections',
  help: 'PostgreSQL pool connections of this process by state (active: checked out, idle: ready).',
  labelNames: ['state'] as const,
  registers: [registry],
  collect() {
    let total = 0;
    let idle = 0;
    for (const pool of pools) {
      total += pool.totalCount;
      idle += pool.idleCount;
    }
    this.set({ state: 'active' }, total - idle);
    this.set({ state: 'idle' }, idle);
  },
});

new Gauge({
  name: 'marquee_db_pool_max',
  help: 'Most PostgreSQL pool connections this process may open (DB_POOL_SIZE): the denominator of pool saturation.',
  registers: [registry],
  collect() {
    let max = 0;
    for (const pool of pools) max += pool.options.max ?? 0;
    this.set(max);
  },
});

new Gauge({
  name: 'marquee_db_pool_waiting',
  help: 'Queries of this process waiting for a free PostgreSQL pool connection.',
  registers: [registry],
  collect() {
    let waiting = 0;
    for (const pool of pools) waiting += pool.waitingCount;
    this.set(waiting);
  },
});

const poolErrors = new Counter({
  name: 'marquee_db_pool_errors_total',
  help: 'Idle PostgreSQL connections lost (server restart, failover, pg_terminate_backend); the pool replaces them.',
  registers: [registry],
});

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
    pools.add(pool);
    app.addHook('onClose', async () => {
      pools.delete(pool);
    });
  }
}

export default fp(observability, { name: 'marquee-observability', fastify: '5.x' });
