// 200 sequential catalogue requests against a fake upstream that fails 30 % of its requests with a 500, each
// request's fate drawn independently. A call fails only when all of its attempts do, with probability 0.3^n for
// n attempts: 0.07 % at the default 6 (one failed call in about seven runs of 200), 6e-6 at 10 (about 1 run in
// 850 would see one). The fake's seed makes this run repeatable; SOAK_SEED picks another draw.
import t from 'tap';
import { buildTestApp, inject, tokenFor } from '../helpers/app.ts';
import { catalogEnv, fakeUpstream, outcomes } from './fixtures.ts';

const REQUESTS = 200;
const seed = Number(process.env.SOAK_SEED ?? 1);
const fake = await fakeUpstream(t, { failRate: 0.3, seed });
const { app } = await buildTestApp(t, catalogEnv(fake, { CATALOG_MAX_ATTEMPTS: '10' }));
const token = await tokenFor(app, 'member');

t.test(`${REQUESTS} sequential requests at 30 % upstream failures all succeed, fresh`, async (t) => {
  const statuses: Record<number, number> = {};
  let stale = 0;
  for (let i = 0; i < REQUESTS; i++) {
    const page = (i % 30) + 1;
    const res = await inject(app, { method: 'GET', url: `/catalog/movies?page=${page}`, token });
    statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
    if (res.headers['x-catalog-stale']) stale += 1;
  }
  const counts = outcomes(fake);
  t.comment(
    `seed ${seed}: statuses ${JSON.stringify(statuses)}, stale ${stale}; upstream hits ${fake.hits} ` +
      `(${counts.ok ?? 0} ok, ${counts.fail ?? 0} failed = ${(((counts.fail ?? 0) / fake.hits) * 100).toFixed(1)} %)`,
  );
  t.same(statuses, { 200: REQUESTS }, 'every request answered 200');
  t.equal(stale, 0, 'every page fresh: no stale copy needed');
  t.equal(counts.ok, REQUESTS, 'one good upstream answer per request');
  t.ok((counts.fail ?? 0) > 0, 'the upstream did fail');
});
