import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { buildTestApp, inject, testEnv, tokenFor } from '../helpers/app.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { catalogApp, catalogEnv, fakeUpstream, retryAfter } from './fixtures.ts';

const database = await createTestDatabase(t);

t.test('the last good copy is served, marked stale, when the upstream fails', async (t) => {
  const { fake, app, token } = await catalogApp(
    t,
    database,
    {},
    { CATALOG_BREAKER_THRESHOLD: '2', CATALOG_MAX_ATTEMPTS: '2' },
  );
  const fetchedAt = Date.now();
  const fresh = await inject(app, { method: 'GET', url: '/catalog/movies?page=3', token });
  t.equal(fresh.statusCode, 200);

  fake.configure({ failRate: 1 });
  const stale = await inject(app, { method: 'GET', url: '/catalog/movies?page=3', token });
  t.equal(stale.statusCode, 200);
  t.equal(stale.headers['x-catalog-stale'], 'true');
  const age = Number(stale.headers.age);
  t.ok(Number.isInteger(age) && age >= 0 && age <= Math.ceil((Date.now() - fetchedAt) / 1000), `Age ${age}`);
  t.same(stale.json(), fresh.json(), 'the same page as last fetched');
  t.equal(fake.hits, 3, 'the upstream was tried (with a retry) before falling back');

  const never = await inject(app, { method: 'GET', url: '/catalog/movies?page=4', token });
  t.equal(never.statusCode, 503, 'a page never fetched has no copy');
  retryAfter(never.headers);

  const whileOpen = await inject(app, { method: 'GET', url: '/catalog/movies?page=3', token });
  t.equal(whileOpen.statusCode, 200, 'the copy is served while the circuit is open');
  t.equal(whileOpen.headers['x-catalog-stale'], 'true');
  t.equal(fake.hits, 5, 'without calling the upstream');

  fake.configure({ failRate: 0, malformedRate: 1 });
  await sleep(1100);
  const garbage = await inject(app, { method: 'GET', url: '/catalog/movies?page=3', token });
  t.equal(garbage.statusCode, 200, 'a garbage answer falls back to the copy too');
  t.equal(garbage.headers['x-catalog-stale'], 'true');
});

t.test('without Redis the copies live in a bounded in-memory cache', async (t) => {
  const { fake, app, token } = await catalogApp(
    t,
    database,
    {},
    { REDIS_URL: '', CATALOG_CACHE_ENTRIES: '2', CATALOG_BREAKER_THRESHOLD: '100' },
  );
  for (const page of [1, 2, 3])
    await inject(app, { method: 'GET', url: `/catalog/movies?page=${page}`, token });
  fake.configure({ failRate: 1 });
  const evicted = await inject(app, { method: 'GET', url: '/catalog/movies?page=1', token });
  t.equal(evicted.statusCode, 503, 'the oldest page was evicted');
  const kept = await inject(app, { method: 'GET', url: '/catalog/movies?page=3', token });
  t.equal(kept.statusCode, 200);
  t.equal(kept.headers['x-catalog-stale'], 'true');
});

t.test(
  'with Redis the copies are shared by every process',
  { skip: !process.env.REDIS_URL && 'REDIS_URL is not set' },
  async (t) => {
    const fake = await fakeUpstream(t);
    const prefix = testEnv().REDIS_KEY_PREFIX as string;
    const env = catalogEnv(fake, { REDIS_KEY_PREFIX: prefix });
    const first = await buildTestApp(t, env, database);
    const fresh = await inject(first.app, {
      method: 'GET',
      url: '/catalog/movies?page=6',
      token: await tokenFor(first.app, 'member'),
    });
    t.equal(fresh.statusCode, 200);
    const redis = first.app.deps.redis;
    if (!redis) throw new Error('the app has no Redis client');
    let stored: string | null = null;
    for (let i = 0; i < 50 && stored === null; i++) {
      stored = await redis.get(`${prefix}catalog:page:6`);
      if (stored === null) await sleep(10);
    }
    t.ok(stored, 'the page is kept under the configured key prefix');
    t.ok((await redis.ttl(`${prefix}catalog:page:6`)) > 0, 'with an expiry');

    fake.configure({ failRate: 1 });
    const other = await buildTestApp(t, env, database);
    const stale = await inject(other.app, {
      method: 'GET',
      url: '/catalog/movies?page=6',
      token: await tokenFor(other.app, 'member'),
    });
    t.equal(stale.statusCode, 200, "another process serves the first one's copy");
    t.equal(stale.headers['x-catalog-stale'], 'true');
    t.same(stale.json(), fresh.json());
    await redis.del(`${prefix}catalog:page:6`);
  },
);
