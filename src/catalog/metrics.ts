import { Counter, Gauge } from 'prom-client';
import { registry } from '../metrics/index.ts';

export const CATALOG_OUTCOMES = [
  'success',
  'retry',
  'timeout',
  'breaker_open',
  'stale_served',
  'error',
] as const;
export type CatalogOutcome = (typeof CATALOG_OUTCOMES)[number];

export const catalogUpstreamCalls = new Counter({
  name: 'marquee_catalog_upstream_calls_total',
  help: 'Upstream movie catalogue calls by outcome (success, retry, timeout, breaker_open, stale_served, error).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});
// Every outcome is exported from the start, so rate() and alerts see a zero rather than a missing series.
for (const outcome of CATALOG_OUTCOMES) catalogUpstreamCalls.inc({ outcome }, 0);

export const BREAKER_STATE = { closed: 0, halfOpen: 1, open: 2 } as const;

export const catalogBreakerState = new Gauge({
  name: 'marquee_catalog_breaker_state',
  help: 'Upstream catalogue circuit breaker: 0 closed, 1 half-open, 2 open.',
  registers: [registry],
});
catalogBreakerState.set(BREAKER_STATE.closed);
