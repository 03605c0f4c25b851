import t from 'tap';
import { buildTestApp, inject, tokenFor } from '../helpers/app.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { catalogEnv, expectedAuthorization, fakeUpstream } from './fixtures.ts';

const database = await createTestDatabase(t);

t.test('a page passes through unchanged, with links to this service', async (t) => {
  const fake = await fakeUpstream(t);
  const { app } = await buildTestApp(t, catalogEnv(fake), database);
  const token = await tokenFor(app, 'member');

  const first = await inject(app, { method: 'GET', url: '/catalog/movies', token });
  t.equal(first.statusCode, 200);
  t.same(first.json(), {
    count: 300,
    next: 'http://localhost:80/catalog/movies?page=2',
    previous: null,
    data: fake.movies.slice(0, 10),
  });
  t.equal(first.headers['x-catalog-stale'], undefined, 'a fresh page is not marked stale');
  t.equal(first.headers.age, undefined);

  const second = await inject(app, {
    method: 'GET',
    url: '/catalog/movies/?page=2',
    token,
    headers: { host: 'marquee.example:8443' },
  });
  t.match(second.json(), {
    next: 'http://marquee.example:8443/catalog/movies?page=3',
    previous: 'http://marquee.example:8443/catalog/movies?page=1',
  });
  t.notMatch(second.body, new URL(fake.url).host, "the upstream's host never shows");
  t.notMatch(second.body, '/api/v1/maya', 'nor its path');

  const last = await inject(app, { method: 'GET', url: '/catalog/movies?page=30', token });
  t.match(last.json(), { next: null, previous: 'http://localhost:80/catalog/movies?page=29' });
  t.equal(fake.hits, 3, 'one upstream call per request');
  t.same(
    fake.requests.map((r) => r.page),
    ['1', '2', '30'],
    'the page asked for is the page fetched',
  );
});

t.test('every page of the catalogue comes through, nulls and empty genres included', async (t) => {
  const fake = await fakeUpstream(t, { movies: 95, seed: 7 });
  const { app } = await buildTestApp(t, catalogEnv(fake), database);
  const token = await tokenFor(app, 'member');
  const seen = [];
  for (let page = 1; page <= 10; page++) {
    const res = await inject(app, { method: 'GET', url: `/catalog/movies?page=${page}`, token });
    t.equal(res.statusCode, 200, `page ${page}`);
    seen.push(...res.json().data);
  }
  t.same(seen, fake.movies);
  t.ok(
    seen.some((m) => m.genres === null) &&
      seen.some((m) => m.genres === '') &&
      seen.some((m) => m.description === null),
    'the sample has null and empty fields',
  );
});

t.test('the basic-auth credentials reach the upstream', async (t) => {
  const fake = await fakeUpstream(t);
  const { app } = await buildTestApp(t, catalogEnv(fake), database);
  await inject(app, { method: 'GET', url: '/catalog/movies', token: await tokenFor(app, 'member') });
  t.equal(fake.requests[0]?.authorization, expectedAuthorization);
  t.equal(fake.requests[0]?.outcome, 'ok');
});

t.test('credentials the upstream refuses are a 502, not retried', async (t) => {
  const fake = await fakeUpstream(t);
  const { app } = await buildTestApp(t, catalogEnv(fake, { MOVIE_API_PASSWORD: 'wrong' }), database);
  const res = await inject(app, { method: 'GET', url: '/catalog/movies', token: await tokenFor(app, 'member') });
  t.equal(res.statusCode, 502);
  t.same(res.json(), {
    success: false,
    error: 502,
    code: 'bad_gateway',
    message: 'the movie catalogue refused the request (HTTP 401)',
  });
  t.equal(fake.hits, 1, 'a 4xx is not retried');
  t.notMatch(res.body, 'wrong', 'the password is not echoed');
});

t.test('a page past the end is a 404, not retried and not an outage', async (t) => {
  const fake = await fakeUpstream(t);
  const { app } = await buildTestApp(t, catalogEnv(fake, { CATALOG_BREAKER_THRESHOLD: '1' }), database);
  const token = await tokenFor(app, 'member');
  const res = await inject(app, { method: 'GET', url: '/catalog/movies?page=31', token });
  t.equal(res.statusCode, 404);
  t.same(res.json(), { success: false, error: 404, code: 'not_found', message: 'catalogue page 31 not found' });
  t.equal(fake.hits, 1);
  const next = await inject(app, { method: 'GET', url: '/catalog/movies?page=1', token });
  t.equal(next.statusCode, 200, 'the circuit stayed closed');
});

t.test("the seed's `data` is accepted as well as the real upstream's `results`", async (t) => {
  const fake = await fakeUpstream(t, { listKey: 'data' });
  const { app } = await buildTestApp(t, catalogEnv(fake), database);
  const res = await inject(app, { method: 'GET', url: '/catalog/movies', token: await tokenFor(app, 'member') });
  t.equal(res.statusCode, 200);
  t.same(res.json().data, fake.movies.slice(0, 10));
});

t.test('concurrent requests for one page share one upstream call', async (t) => {
  const fake = await fakeUpstream(t, { latencyMs: 300 });
  const { app } = await buildTestApp(t, catalogEnv(fake, { CATALOG_ATTEMPT_TIMEOUT_MS: '1000' }), database);
  const token = await tokenFor(app, 'member');
  const get = (page: number) => inject(app, { method: 'GET', url: `/catalog/movies?page=${page}`, token });
  const responses = await Promise.all([get(4), get(4), get(4), get(4), get(4), get(5)]);
  t.same(
    responses.map((r) => r.statusCode),
    [200, 200, 200, 200, 200, 200],
  );
  for (const res of responses.slice(1, 5)) t.same(res.json(), responses[0]?.json());
  t.same(responses[5]?.json().data, fake.movies.slice(40, 50));
  t.equal(fake.hits, 2, 'page 4 once, page 5 once');

  await get(4);
  t.equal(fake.hits, 3, 'a later request fetches again: pages are live, not cached');
});

t.test('bad page numbers and missing tokens never reach the upstream', async (t) => {
  const fake = await fakeUpstream(t);
  const { app } = await buildTestApp(t, catalogEnv(fake), database);
  const token = await tokenFor(app, 'member');
  for (const page of ['0', '-1', 'abc', '1.5']) {
    const res = await inject(app, { method: 'GET', url: `/catalog/movies?page=${page}`, token });
    t.equal(res.statusCode, 400, `page=${page}`);
  }
  const anonymous = await inject(app, { method: 'GET', url: '/catalog/movies' });
  t.equal(anonymous.statusCode, 401);
  t.equal(fake.hits, 0);
});
