import { randomUUID } from 'node:crypto';
import t from 'tap';
import { inject } from '../helpers/app.ts';
import { collectors, createCollection, movie, tableCounts } from './fixtures.ts';

const { app, db, alice, bob, asAlice, asBob } = await collectors(t);

const drama = movie('Drama,Comedy', 'Satana likuyushchiy');
const queerama = movie('', 'Queerama');

t.test('bad input is a 400 naming the field, and writes nothing', async (t) => {
  const uuid = await createCollection(app, alice.token, [drama], 'Untouched');
  const before = await tableCounts(db);
  const collectionBefore = await db
    .selectFrom('collections')
    .where('id', '=', uuid)
    .selectAll()
    .executeTakeFirstOrThrow();

  const cases: [string, 'POST' | 'PUT', string, unknown, string][] = [
    ['missing title', 'POST', '/collection/', { description: 'x', movies: [movie('Drama')] }, 'title'],
    ['blank title', 'POST', '/collection/', { title: '   ', movies: [movie('Drama')] }, 'title'],
    ['missing movies', 'POST', '/collection/', { title: 'No list' }, 'movies'],
    [
      'movie without uuid',
      'POST',
      '/collection/',
      { title: 'x', movies: [movie('Drama'), { title: 'No uuid', genres: 'Drama' }] },
      'movies.1.uuid',
    ],
    [
      'movie with a bad uuid',
      'POST',
      '/collection/',
      { title: 'x', movies: [{ title: 'Bad', uuid: 'not-a-uuid' }] },
      'movies.0.uuid',
    ],
    [
      'movie without title',
      'POST',
      '/collection/',
      { title: 'x', movies: [{ uuid: randomUUID() }] },
      'movies.0.title',
    ],
    ['unknown field', 'POST', '/collection/', { title: 'x', movies: [], owner: 1 }, 'owner'],
    ['empty update', 'PUT', `/collection/${uuid}/`, {}, 'body'],
    ['blank title on update', 'PUT', `/collection/${uuid}/`, { title: '' }, 'title'],
    [
      'movie without uuid on update',
      'PUT',
      `/collection/${uuid}/`,
      { title: 'Changed', movies: [{ title: 'No uuid' }] },
      'movies.0.uuid',
    ],
    ['bad collection uuid', 'PUT', '/collection/not-a-uuid/', { title: 'Changed' }, 'uuid'],
    ['movie without uuid, added', 'POST', `/collection/${uuid}/movies`, { title: 'No uuid' }, 'uuid'],
    ['bad collection uuid, added', 'POST', '/collection/42/movies', movie('Drama'), 'uuid'],
  ];
  for (const [name, method, url, payload, field] of cases) {
    const res = await inject(app, { method, url, token: alice.token, payload: payload as object });
    t.equal(res.statusCode, 400, name);
    t.match(res.json(), { success: false, error: 400 }, name);
    t.ok(
      (res.json().details as { field: string }[]).some((d) => d.field === field),
      `${name}: details name ${field} (${JSON.stringify(res.json().details)})`,
    );
  }
  for (const [method, url] of [
    ['GET', '/collection/not-a-uuid/'],
    ['DELETE', '/collection/not-a-uuid/'],
    ['DELETE', `/collection/${uuid}/movies/not-a-uuid`],
  ] as const) {
    const res = await inject(app, { method, url, token: alice.token });
    t.equal(res.statusCode, 400, `${method} ${url}`);
  }

  t.same(await tableCounts(db), before, 'no row added or removed');
  t.same(
    await db.selectFrom('collections').where('id', '=', uuid).selectAll().executeTakeFirstOrThrow(),
    collectionBefore,
    'the collection is unchanged',
  );
});

t.test("another user's collection is a 404 on every route, and stays as it was", async (t) => {
  const uuid = await createCollection(app, alice.token, [drama], "Alice's");
  const before = await tableCounts(db);
  const expected = { success: false, error: 404, code: 'not_found', message: `collection ${uuid} not found` };
  const attempts = [
    { method: 'GET', url: `/collection/${uuid}/` },
    { method: 'PUT', url: `/collection/${uuid}/`, payload: { title: 'Mine now', movies: [] } },
    { method: 'DELETE', url: `/collection/${uuid}/` },
    { method: 'POST', url: `/collection/${uuid}/movies`, payload: queerama },
    { method: 'DELETE', url: `/collection/${uuid}/movies/${drama.uuid}` },
  ] as const;
  for (const attempt of attempts) {
    const res = await inject(app, { ...attempt, token: bob.token });
    t.equal(res.statusCode, 404, `${attempt.method} ${attempt.url}`);
    t.same(res.json(), expected);
  }
  t.same(await tableCounts(db), before, 'nothing written');
  const read = await asAlice.GET('/collection/{uuid}/', { params: { path: { uuid } } });
  t.match(read.data, { title: "Alice's", movies: [drama] });
  const bobs = await asBob.GET('/collection/');
  t.notOk(
    bobs.data!.data.collections.some((c: { uuid: string }) => c.uuid === uuid),
    "Alice's collection is not in Bob's list",
  );
});

t.test('collections need a token', async (t) => {
  for (const [method, url] of [
    ['GET', '/collection/'],
    ['POST', '/collection/'],
    ['GET', `/collection/${randomUUID()}/`],
  ] as const) {
    const res = await inject(app, {
      method,
      url,
      payload: method === 'POST' ? { title: 'x', movies: [] } : undefined,
    });
    t.equal(res.statusCode, 401, `${method} ${url}`);
  }
});
