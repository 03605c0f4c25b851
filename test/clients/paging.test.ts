// The SDK's paging iterators over every paged list, through app.inject: every item once, in the list's
// order, and no more requests than the pages hold.
import type { FastifyInstance } from 'fastify';
import t from 'tap';
import { createClient } from '../../sdk/src/index.ts';
import { castingFixtures } from '../casting/fixtures.ts';
import { catalogEnv, fakeUpstream } from '../catalog/fixtures.ts';
import { buildTestApp, tokenFor } from '../helpers/app.ts';
import { injectFetch } from '../helpers/client.ts';
import { createUser } from '../helpers/users.ts';
import { postMessage } from '../messages/fixtures.ts';

const fake = await fakeUpstream(t, { movies: 25, pageSize: 10 });
const { app, db } = await buildTestApp(t, catalogEnv(fake));

/** A client of `app` that also counts the requests it sends. */
function counted(app: FastifyInstance, token: string) {
  const paths: string[] = [];
  const send = injectFetch(app);
  const api = createClient({
    baseUrl: 'http://marquee.test',
    auth: { accessToken: token },
    fetch: (request) => {
      const url = new URL(request.url);
      paths.push(`${url.pathname}${url.search}`);
      return send(request);
    },
  });
  return { api, paths };
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

t.test('actors and movies: by the Link rel="next" cursor until there is none', async (t) => {
  const fixtures = await castingFixtures(app);
  const actors = [];
  for (let i = 0; i < 25; i++) actors.push(await fixtures.actor());
  const movies = [];
  for (let i = 0; i < 3; i++) movies.push(await fixtures.movie([actors[i]?.id ?? 0]));

  const { api, paths } = counted(app, await tokenFor(app, 'casting_assistant'));
  const ids = (await all(api.paginate('/actors', { query: { limit: 10 } }))).map((a) => a.id);
  t.same(ids, actors.map((a) => a.id));
  t.equal(paths.length, 3, 'three pages');
  t.equal(paths[0], '/actors?limit=10');
  for (const path of paths.slice(1)) t.match(path, /^\/actors\?limit=10&cursor=[\w-]+$/, 'then by cursor');

  paths.length = 0;
  t.same((await all(api.paginate('/movies'))).map((m) => m.title), movies.map((m) => m.title));
  t.same(paths, ['/movies'], 'one page holds them all');

  paths.length = 0;
  t.same((await all(api.paginate('/actors', { query: { page: 3, limit: 10 } }))).length, 5, 'from a later page');
  t.same(paths, ['/actors?page=3&limit=10'], 'the last page has no next link');
});

t.test('users, as an admin', async (t) => {
  for (let i = 0; i < 4; i++) await createUser(app, db);
  const { api } = counted(app, await tokenFor(app, 'admin'));
  const users = await all(api.paginate('/api/v1/users', { query: { limit: 3 } }));
  const rows = await db.selectFrom('users').select('id').orderBy('id').execute();
  t.same(users.map((u) => u.id), rows.map((r) => r.id));
});

t.test('messages: by the Link rel="next" cursor until there is none', async (t) => {
  const author = await createUser(app, db);
  const posted = [];
  for (let i = 0; i < 5; i++) posted.push((await postMessage(app, author.token, `message ${i}`)).id);
  const { api, paths } = counted(app, author.token);
  const ids = (await all(api.paginate('/api/messages', { query: { limit: 2 } }))).map((m) => m.id);
  t.same(ids, [...posted].reverse(), 'newest first');
  t.equal(paths.length, 3, 'three pages');
  t.equal(paths[0], '/api/messages?limit=2');
  for (const path of paths.slice(1)) t.match(path, /^\/api\/messages\?limit=2&cursor=[\w-]+$/, 'then by cursor');
});

t.test('the catalogue: until `next` is null', async (t) => {
  const { api, paths } = counted(app, await tokenFor(app, 'member'));
  const movies = await all(api.paginate('/catalog/movies'));
  t.same(movies.map((m) => m.uuid), fake.movies.map((m) => m.uuid));
  t.equal(paths.length, 3);
});

t.test('a refused page throws the typed error', async (t) => {
  const { api } = counted(app, await tokenFor(app, 'member'));
  await t.rejects(all(api.paginate('/actors')), { name: 'MarqueeError', status: 403, body: { error: 403 } });
});
