import t from 'tap';
import { buildTestApp, inject, tokenFor } from '../helpers/app.ts';
import { client } from '../helpers/client.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { catalogApp, catalogEnv, expectedAuthorization, fakeUpstream } from './fixtures.ts';

const database = await createTestDatabase(t);

t.test('a page passes through unchanged, with links to this service', async (t) => {
  const { fake, app, token, member } = await catalogApp(t, database);

  const first = await member.GET('/catalog/movies');
  t.equal(first.response.status, 200);
  t.same(first.data, {
    count: 300,
    next: 'http://localhost:80/catalog/movies?page=2',
    previous: null,
    data: fake.movies.slice(0, 10),
  });
  t.equal(first.response.headers.get('x-catalog-stale'), null, 'a fresh page is not marked stale');
  t.equal(first.response.headers.get('age'), null);

  const second = await inject(app, { method: 'GET', url: '/catalog/movies/?page=2', token });
  t.match(second.json(), {
    next: 'http://localhost:80/catalog/movies?page=3',
    previous: 'http://localhost:80/catalog/movies?page=1',
  });
  t.notMatch(second.body, new URL(fake.url).host, "the upstream's host never shows");
  t.notMatch(second.body, '/api/v1/maya', 'nor its path');

  const last = await member.GET('/catalog/movies', { params: { query: { page: 30 } } });
  t.match(last.data, { next: null, previous: 'http://localhost:80/catalog/movies?page=29' });
  t.equal(fake.hits, 3, 'one upstream call per request');
  t.same(
    fake.requests.map((r) => r.page),
    ['1', '2', '30'],
    'the page asked for is the page fetched',
  );
});

t.test('every page of the catalogue comes through, nulls and empty genres included', async (t) => {
  const { fake, member } = await catalogApp(t, database, { movies: 95, seed: 7 });
  const seen = [];
  for (let page = 1; page <= 10; page++) {
    const res = await member.GET('/catalog/movies', { params: { query: { page } } });
    t.equal(res.response.status, 200, `page ${page}`);
    seen.push(...res.data!.data);
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
  const { fake, member } = await catalogApp(t, database, {}, { MOVIE_API_PASSWORD: 'wrong' });
  const res = await member.GET('/catalog/movies');
  t.equal(res.response.status, 502);
  t.same(res.error, {
    success: false,
    error: 502,
    code: 'bad_gateway',
    message: 'the movie catalogue refused the request (HTTP 401)',
  });
  t.equal(fake.hits, 1, 'a 4xx is not retried');
  t.notMatch(JSON.stringify(res.error), 'wrong', 'the password is not echoed');
});

t.test('a page past the end is a 404, not retried and not an outage', async (t) => {
  const { fake, member } = await catalogApp(t, database, {}, { CATALOG_BREAKER_THRESHOLD: '1' });
  const res = await member.GET('/catalog/movies', { params: { query: { page: 31 } } });
  t.equal(res.response.status, 404);
  t.same(res.error, { success: false, error: 404, code: 'not_found', message: 'catalogue page 31 not found' });
  t.equal(fake.hits, 1);
  const next = await member.GET('/catalog/movies', { params: { query: { page: 1 } } });
  t.equal(next.response.status, 200, 'the circuit stayed closed');
});

t.test("the seed's `data` is accepted as well as the real upstream's `results`", async (t) => {
  const { fake, member } = await catalogApp(t, database, { listKey: 'data' });
  const res = await member.GET('/catalog/movies');
  t.equal(res.response.status, 200);
  t.same(res.data!.data, fake.movies.slice(0, 10));
});

t.test('concurrent requests for one page share one upstream call', async (t) => {
  const { fake, member } = await catalogApp(
    t,
    database,
    { latencyMs: 300 },
    { CATALOG_ATTEMPT_TIMEOUT_MS: '1000' },
  );
  const get = (page: number) => member.GET('/catalog/movies', { params: { query: { page } } });
  const responses = await Promise.all([get(4), get(4), get(4), get(4), get(4), get(5)]);
  t.same(
    responses.map((r) => r.response.status),
    [200, 200, 200, 200, 200, 200],
  );
  for (const res of responses.slice(1, 5)) t.same(res.data, responses[0]?.data);
  t.same(responses[5]?.data?.data, fake.movies.slice(40, 50));
  t.equal(fake.hits, 2, 'page 4 once, page 5 once');

  await get(4);
  t.equal(fake.hits, 3, 'a later request fetches again: pages are live, not cached');
});

t.test('bad page numbers and missing tokens never reach the upstream', async (t) => {
  const { fake, app, token } = await catalogApp(t, database);
  for (const page of ['0', '-1', 'abc', '1.5']) {
    const res = await inject(app, { method: 'GET', url: `/catalog/movies?page=${page}`, token });
    t.equal(res.statusCode, 400, `page=${page}`);
  }
  const anonymous = await client(app).GET('/catalog/movies');
  t.equal(anonymous.response.status, 401);
  t.equal(fake.hits, 0);
});
