import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import { inject, testEnv, tokenFor } from '../helpers/app.ts';
import { assertMatchesSpec } from '../helpers/contract.ts';
import { createTestDatabase } from '../helpers/database.ts';
import {
  catalogApp,
  catalogEnv,
  expectedAuthorization,
  FAKE_DEFAULTS,
  fakeUpstream,
  outcomes,
  retryAfter,
} from './fixtures.ts';

const database = await createTestDatabase(t);

t.test('30 % of upstream requests failing: retries make every request succeed', async (t) => {
  const { fake, app, token } = await catalogApp(t, database, { failRate: 0.3, seed: 3 }, { CATALOG_MAX_ATTEMPTS: '8' });
  for (let page = 1; page <= 30; page++) {
    const res = await inject(app, { method: 'GET', url: `/catalog/movies?page=${page}`, token });
    t.equal(res.statusCode, 200, `page ${page}`);
    t.equal(res.headers['x-catalog-stale'], undefined, `page ${page} is fresh`);
    t.same(res.json().data, fake.movies.slice((page - 1) * 10, page * 10));
  }
  const { ok = 0, fail = 0 } = outcomes(fake);
  t.equal(ok, 30, 'one good upstream answer per request');
  t.ok(fail > 0, `the fake failed ${fail} of ${fake.hits} requests`);
  t.equal(fake.hits, 30 + fail, 'every failure was retried');
});

t.test('an upstream failing every time: all attempts made, then 503 with Retry-After', async (t) => {
  const { fake, app, token } = await catalogApp(t, database, { failRate: 1 });
  const res = await inject(app, { method: 'GET', url: '/catalog/movies', token });
  t.equal(res.statusCode, 503);
  t.same(res.json(), { success: false, error: 503, code: 'dependency_unavailable', message: 'movie catalogue unavailable' });
  retryAfter(res.headers);
  t.equal(fake.hits, 4, 'CATALOG_MAX_ATTEMPTS attempts');
});

t.test('the circuit opens after consecutive failed calls and closes once the upstream is back', async (t) => {
  const { fake, app, token } = await catalogApp(t, database, { failRate: 1 }, {
      CATALOG_MAX_ATTEMPTS: '3',
      CATALOG_BREAKER_THRESHOLD: '2',
      CATALOG_BREAKER_HALF_OPEN_MS: '1500',
  });
  const get = () => inject(app, { method: 'GET', url: '/catalog/movies?page=2', token });

  t.equal((await get()).statusCode, 503);
  t.equal(fake.hits, 3, 'first call: three attempts');
  t.equal((await get()).statusCode, 503);
  t.equal(fake.hits, 6, 'second call: three attempts, and the circuit opens');

  const open = await get();
  t.equal(open.statusCode, 503);
  t.equal(fake.hits, 6, 'while open, the upstream is not called at all');
  t.ok(retryAfter(open.headers) <= 2, 'Retry-After says when the upstream will be probed');

  fake.configure({ failRate: 0 });
  t.equal((await get()).statusCode, 503, 'still open right after the upstream recovers');
  t.equal(fake.hits, 6);

  await sleep(1600);
  const probe = await get();
  t.equal(probe.statusCode, 200, 'after CATALOG_BREAKER_HALF_OPEN_MS one call probes the upstream');
  t.equal(fake.hits, 7);
  t.equal((await get()).statusCode, 200, 'and the circuit is closed again');
  t.equal(fake.hits, 8);
});

t.test('a failed probe opens the circuit again', async (t) => {
  const { fake, app, token } = await catalogApp(t, database, { failRate: 1 }, {
      CATALOG_MAX_ATTEMPTS: '1',
      CATALOG_BREAKER_THRESHOLD: '1',
      CATALOG_BREAKER_HALF_OPEN_MS: '1000',
  });
  const get = () => inject(app, { method: 'GET', url: '/catalog/movies', token });
  await get();
  t.equal(fake.hits, 1);
  await sleep(1100);
  t.equal((await get()).statusCode, 503);
  t.equal(fake.hits, 2, 'the probe reached the upstream and failed');
  t.equal((await get()).statusCode, 503);
  t.equal(fake.hits, 2, 'open again: no call');
});

t.test('hanging upstream: attempts time out, and no request outlives the deadline', async (t) => {
  const deadline = 1000;
  const { fake, app, token } = await catalogApp(t, database, { hangRate: 1 }, {
      CATALOG_ATTEMPT_TIMEOUT_MS: '300',
      // Without the deadline, 20 attempts of 300 ms would take 6 s: a bound of four deadlines tells the two apart on
      // a busy machine, and the count of attempts shows that the deadline, not the attempt limit, ended them.
      CATALOG_MAX_ATTEMPTS: '20',
      CATALOG_DEADLINE_MS: String(deadline),
      CATALOG_BREAKER_THRESHOLD: '100',
  });

  // Timed on a booted app (the first inject would otherwise boot it) and on app.inject itself: the helper's
  // contract check compiles validators on first use, which is the test's time, not the server's.
  await app.ready();
  const started = performance.now();
  const res = await app.inject({
    method: 'GET',
    url: '/catalog/movies',
    headers: { authorization: `Bearer ${token}` },
  });
  const elapsed = performance.now() - started;
  assertMatchesSpec('GET', '/catalog/movies', res);
  t.equal(res.statusCode, 503);
  retryAfter(res.headers);
  t.ok(elapsed < 4 * deadline, `answered at the ${deadline} ms deadline (${Math.round(elapsed)} ms)`);
  t.ok(
    fake.hits >= 2 && fake.hits < 10,
    `attempts timed out and were retried until the deadline (${fake.hits})`,
  );

  fake.configure({ hangRate: 0 });
  t.equal((await inject(app, { method: 'GET', url: '/catalog/movies?page=2', token })).statusCode, 200);
  fake.configure({ hangRate: 1 });
  const timings = await Promise.all(
    [2, 2, 3, 1].map(async (page) => {
      const url = `/catalog/movies?page=${page}`;
      const begun = performance.now();
      const r = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
      const ms = performance.now() - begun;
      assertMatchesSpec('GET', url, r);
      return { page, status: r.statusCode, stale: r.headers['x-catalog-stale'], ms };
    }),
  );
  for (const timing of timings) {
    t.ok(timing.ms < 4 * deadline, `page ${timing.page} answered in ${Math.round(timing.ms)} ms`);
  }
  t.same(
    timings.map((x) => [x.page, x.status, x.stale]),
    [
      [2, 200, 'true'],
      [2, 200, 'true'],
      [3, 503, undefined],
      [1, 503, undefined],
    ],
  );
});

t.test('a body slower than the attempt timeout is an attempt that timed out', async (t) => {
  const { fake, app, token } = await catalogApp(
    t,
    database,
    { slowBodyMs: 1500 },
    { CATALOG_MAX_ATTEMPTS: '2', CATALOG_ATTEMPT_TIMEOUT_MS: '500' },
  );
  const res = await inject(app, { method: 'GET', url: '/catalog/movies', token });
  t.equal(res.statusCode, 503);
  t.equal(fake.hits, 2, 'retried');
  fake.configure({ slowBodyMs: 20 });
  const ok = await inject(app, { method: 'GET', url: '/catalog/movies', token });
  t.equal(ok.statusCode, 200, 'a slow body within the timeout is fine');
  t.same(ok.json().data, fake.movies.slice(0, 10));
});

t.test('dropped connections are retried', async (t) => {
  const { fake, app, token } = await catalogApp(t, database, { dropRate: 1 }, { CATALOG_MAX_ATTEMPTS: '8' });
  const down = await inject(app, { method: 'GET', url: '/catalog/movies', token });
  t.equal(down.statusCode, 503);
  t.equal(fake.hits, 8);

  fake.configure({ dropRate: 0.3 });
  for (let page = 1; page <= 10; page++) {
    const res = await inject(app, { method: 'GET', url: `/catalog/movies?page=${page}`, token });
    t.equal(res.statusCode, 200, `page ${page}`);
  }
  t.ok((outcomes(fake).drop ?? 0) > 8, 'some of those connections were dropped');
});

t.test('a malformed upstream body is a 502, not retried', async (t) => {
  const { fake, app, token } = await catalogApp(t, database, { malformedRate: 1 });
  const notJson = await inject(app, { method: 'GET', url: '/catalog/movies', token });
  t.equal(notJson.statusCode, 502);
  t.same(notJson.json(), {
    success: false,
    error: 502,
    code: 'bad_gateway',
    message: 'invalid response from the movie catalogue',
  });
  t.equal(fake.hits, 1);

  fake.configure({ malformedRate: 0, wrongShapeRate: 1 });
  const wrongShape = await inject(app, { method: 'GET', url: '/catalog/movies', token });
  t.equal(wrongShape.statusCode, 502);
  t.equal(fake.hits, 2);
});

t.test('the upstream credentials never reach the logs', async (t) => {
  const fake = await fakeUpstream(t, { failRate: 1 });
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  const { config } = loadConfig(
    testEnv(
      catalogEnv(fake, { CATALOG_BREAKER_THRESHOLD: '1', MOVIE_API_URL: fake.url, LOG_LEVEL: 'trace' }),
    ),
  );
  const app = await buildApp(config, { db: database.db, logger: { level: 'trace', stream } });
  t.teardown(() => app.close());
  const token = await tokenFor(app, 'member');
  await inject(app, { method: 'GET', url: '/catalog/movies', token });
  await inject(app, { method: 'GET', url: '/catalog/movies', token });
  const log = lines.join('');
  t.match(log, 'movie catalogue retry', 'retries are logged');
  t.match(log, 'movie catalogue circuit opened', 'the circuit opening is logged');
  t.notMatch(log, FAKE_DEFAULTS.password);
  t.notMatch(log, expectedAuthorization.slice('Basic '.length));
});
