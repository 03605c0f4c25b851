import type pg from 'pg';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * One registry per process, served on /metrics. Each area declares its own series next to its code
 * (catalog/metrics.ts, request-counter/metrics.ts) in this registry; the series shared by several areas and the
 * HTTP and pool series are here. Several apps in one process (tests) add to the same series.
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

export const poolErrors = new Counter({
  name: 'marquee_db_pool_errors_total',
  help: 'Idle PostgreSQL connections lost (server restart, failover, pg_terminate_backend); the pool replaces them.',
  registers: [registry],
});

/** Counts `pool` in the pool gauges until the returned function is called. */
export function watchPool(pool: pg.Pool): () => void {
  pools.add(pool);
  return () => pools.delete(pool);
}
