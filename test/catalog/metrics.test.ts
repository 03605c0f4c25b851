// The catalogue's series on /metrics move with what the upstream does: calls by outcome and the breaker's state.
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import t from 'tap';
import { inject } from '../helpers/app.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { sample } from '../helpers/metrics.ts';
import { catalogApp } from './fixtures.ts';

const database = await createTestDatabase(t);
const OUTCOMES = ['success', 'retry', 'timeout', 'breaker_open', 'stale_served', 'error'] as const;
type Outcome = (typeof OUTCOMES)[number];

interface Reading {
  calls: Record<Outcome, number>;
  breaker: number;
}

function present(body: string, series: string): number {
  const value = sample(body, series);
  if (value === undefined) throw new Error(`${series} is not on /metrics`);
  return value;
}

/** The app's catalogue series, read from its /metrics. */
async function metrics(app: FastifyInstance): Promise<Reading> {
  const { body } = await inject(app, { method: 'GET', url: '/metrics' });
  const calls = {} as Record<Outcome, number>;
  for (const outcome of OUTCOMES) {
    calls[outcome] = present(body, `marquee_catalog_upstream_calls_total{outcome="${outcome}"}`);
  }
  return { calls, breaker: present(body, 'marquee_catalog_breaker_state') };
}

/** What changed since `before`, only the outcomes that moved. */
function moved(before: Reading, after: Reading): Partial<Record<Outcome, number>> {
  const delta: Partial<Record<Outcome, number>> = {};
  for (const outcome of OUTCOMES) {
    const d = after.calls[outcome] - before.calls[outcome];
    if (d !== 0) delta[outcome] = d;
  }
  return delta;
}

t.test('calls by outcome and the breaker state follow the upstream through an outage', async (t) => {
  const { fake, app, token } = await catalogApp(t, database, {}, {
      CATALOG_MAX_ATTEMPTS: '3',
      CATALOG_BREAKER_THRESHOLD: '2',
      CATALOG_BREAKER_HALF_OPEN_MS: '1000',
  });
  const get = (page: number) => inject(app, { method: 'GET', url: `/catalog/movies?page=${page}`, token });

  let before = await metrics(app);
  t.equal((await get(1)).statusCode, 200);
  let now = await metrics(app);
  t.same(moved(before, now), { success: 1 }, 'a fresh page is one successful call');
  t.equal(now.breaker, 0, 'closed');

  fake.configure({ failRate: 1 });
  before = now;
  const stale = await get(1);
  t.equal(stale.headers['x-catalog-stale'], 'true');
  now = await metrics(app);
  t.same(moved(before, now), { retry: 2, error: 1, stale_served: 1 }, 'three failed attempts, then the copy');
  t.equal(now.breaker, 0, 'one failed call: still closed');

  before = now;
  await get(1);
  now = await metrics(app);
  t.same(moved(before, now), { retry: 2, error: 1, stale_served: 1 });
  t.equal(now.breaker, 2, 'two failed calls in a row: open');

  before = now;
  t.equal((await get(2)).statusCode, 503);
  now = await metrics(app);
  t.same(moved(before, now), { breaker_open: 1 }, 'refused by the open circuit, upstream not called');

  fake.configure({ failRate: 0, latencyMs: 300 });
  await sleep(1100);
  before = now;
  const probe = get(2);
  await sleep(100);
  t.equal((await metrics(app)).breaker, 1, 'half-open while the probe is in flight');
  t.equal((await probe).statusCode, 200);
  now = await metrics(app);
  t.same(moved(before, now), { success: 1 });
  t.equal(now.breaker, 0, 'closed again after a good probe');
});

t.test('an upstream that never answers shows as retries and a timed-out call', async (t) => {
  const { fake, app, token } = await catalogApp(t, database, { hangRate: 1 }, {
      CATALOG_ATTEMPT_TIMEOUT_MS: '200',
      CATALOG_MAX_ATTEMPTS: '2',
      CATALOG_DEADLINE_MS: '3000',
      CATALOG_BREAKER_THRESHOLD: '100',
  });
  const before = await metrics(app);
  const res = await inject(app, { method: 'GET', url: '/catalog/movies', token });
  t.equal(res.statusCode, 503);
  t.same(moved(before, await metrics(app)), { retry: 1, timeout: 1 });
  t.equal(fake.hits, 2);
});
