import { randomUUID } from 'node:crypto';
import t from 'tap';
import { inject } from '../helpers/app.ts';
import { createUser } from '../helpers/users.ts';
import { collectors, createCollection, movie } from './fixtures.ts';

const { app, db, alice, bob, asAlice, asBob } = await collectors(t);

const drama = movie('Drama,Comedy', 'Satana likuyushchiy');
const queerama = movie('', 'Queerama');
const lateBloomers = { title: 'Late Bloomers', description: null, genres: null, uuid: randomUUID() };

async function storedMovieUuids(collectionUuid: string): Promise<string[]> {
  const rows = await db
    .selectFrom('collection_movies')
    .where('collection_id', '=', collectionUuid)
    .select('movie_uuid')
    .orderBy('position')
    .execute();
  return rows.map((row) => row.movie_uuid);
}

t.test('a collection goes through create, read, update and delete', async (t) => {
  const created = await asAlice.POST('/collection/', {
    body: {
      title: 'Sunday afternoons',
      description: 'Films for a slow Sunday.',
      movies: [drama, queerama],
    },
  });
  t.equal(created.response.status, 201);
  const uuid: string = created.data!.collection_uuid;
  t.same(Object.keys(created.data!), ['collection_uuid']);

  const stored = await db
    .selectFrom('collections')
    .where('id', '=', uuid)
    .selectAll()
    .executeTakeFirstOrThrow();
  t.match(stored, { user_id: alice.id, title: 'Sunday afternoons', description: 'Films for a slow Sunday.' });
  t.same(await storedMovieUuids(uuid), [drama.uuid, queerama.uuid], 'movies stored in the order sent');

  const read = await asAlice.GET('/collection/{uuid}/', { params: { path: { uuid } } });
  t.equal(read.response.status, 200);
  t.match(read.data, {
    uuid,
    title: 'Sunday afternoons',
    description: 'Films for a slow Sunday.',
    movies: [drama, queerama],
  });
  t.equal(new Date(read.data!.created_at).getTime(), stored.created_at.getTime());

  const list = await asAlice.GET('/collection/');
  t.same(list.data, {
    is_success: true,
    data: {
      collections: [{ uuid, title: 'Sunday afternoons', description: 'Films for a slow Sunday.' }],
      favourite_genres: 'Comedy, Drama',
    },
  });

  const renamed = await asAlice.PUT('/collection/{uuid}/', {
    params: { path: { uuid } },
    body: { title: 'Rainy Sundays' },
  });
  t.equal(renamed.response.status, 200);
  t.match(renamed.data, { uuid, title: 'Rainy Sundays', description: 'Films for a slow Sunday.' });
  t.same(
    renamed.data!.movies.map((m: { uuid: string }) => m.uuid),
    [drama.uuid, queerama.uuid],
    'omitted movies stay',
  );
  t.ok(new Date(renamed.data!.updated_at) >= new Date(read.data!.updated_at), 'updated_at moves on');

  const replaced = await inject(app, {
    method: 'PUT',
    url: `/collection/${uuid}`,
    token: alice.token,
    payload: { movies: [lateBloomers, drama], description: null },
  });
  t.equal(replaced.statusCode, 200);
  t.match(replaced.json(), { title: 'Rainy Sundays', description: null, movies: [lateBloomers, drama] });
  t.same(await storedMovieUuids(uuid), [lateBloomers.uuid, drama.uuid], 'the list was replaced');

  const emptied = await asAlice.PUT('/collection/{uuid}/', { params: { path: { uuid } }, body: { movies: [] } });
  t.same(emptied.data!.movies, []);
  t.same(await storedMovieUuids(uuid), []);

  const deleted = await asAlice.DELETE('/collection/{uuid}/', { params: { path: { uuid } } });
  t.equal(deleted.response.status, 204);
  t.equal(await deleted.response.text(), '');
  t.equal(
    (await db.selectFrom('collections').where('id', '=', uuid).selectAll().execute()).length,
    0,
    'the collection row is gone',
  );
  const gone = await asAlice.GET('/collection/{uuid}/', { params: { path: { uuid } } });
  t.equal(gone.response.status, 404);
  t.same(gone.error, { success: false, error: 404, code: 'not_found', message: `collection ${uuid} not found` });
  const again = await asAlice.DELETE('/collection/{uuid}/', { params: { path: { uuid } } });
  t.equal(again.response.status, 404);
});

t.test('movies are stored once, with the latest data sent', async (t) => {
  const uuid = await createCollection(app, alice.token, [drama]);
  const edited = { ...drama, title: 'Satana likuyushchiy (restored)', genres: 'Drama' };
  await createCollection(app, bob.token, [edited]);
  const row = await db
    .selectFrom('catalog_movies')
    .where('uuid', '=', drama.uuid)
    .selectAll()
    .executeTakeFirstOrThrow();
  t.match(row, { title: 'Satana likuyushchiy (restored)', genres: 'Drama', description: drama.description });
  const read = await asAlice.GET('/collection/{uuid}/', { params: { path: { uuid } } });
  t.same(read.data!.movies, [edited]);
});

t.test('a movie listed twice is merged: first place, last data', async (t) => {
  const first = movie('Horror', 'First spelling');
  const other = movie('Drama');
  const again = { ...first, uuid: first.uuid.toUpperCase(), title: 'Second spelling' };
  const res = await asAlice.POST('/collection/', { body: { title: 'Doubles', movies: [first, other, again] } });
  t.equal(res.response.status, 201);
  const uuid = res.data!.collection_uuid;
  t.same(await storedMovieUuids(uuid), [first.uuid, other.uuid]);
  const read = await asAlice.GET('/collection/{uuid}/', { params: { path: { uuid } } });
  t.same(
    read.data!.movies.map((m: { title: string }) => m.title),
    ['Second spelling', other.title],
  );

  const put = await asAlice.PUT('/collection/{uuid}/', {
    params: { path: { uuid } },
    body: { movies: [other, other, first] },
  });
  t.equal(put.response.status, 200);
  t.same(await storedMovieUuids(uuid), [other.uuid, first.uuid]);
});

t.test('one movie is added and removed without resending the list', async (t) => {
  const uuid = await createCollection(app, alice.token, [drama]);
  const added = await inject(app, {
    method: 'POST',
    url: `/collection/${uuid}/movies`,
    token: alice.token,
    payload: queerama,
  });
  t.equal(added.statusCode, 201);
  t.match(added.json(), { uuid, movies: [drama, queerama] });
  t.same(await storedMovieUuids(uuid), [drama.uuid, queerama.uuid]);

  const renamed = { ...drama, title: 'Renamed upstream' };
  const readded = await inject(app, {
    method: 'POST',
    url: `/collection/${uuid}/movies/`,
    token: alice.token,
    payload: renamed,
  });
  t.equal(readded.statusCode, 201);
  t.same(readded.json().movies, [renamed, queerama], 'kept once, in its place, with the fields sent');

  const removed = await asAlice.DELETE('/collection/{uuid}/movies/{movie_uuid}', {
    params: { path: { uuid, movie_uuid: drama.uuid } },
  });
  t.equal(removed.response.status, 204);
  t.same(await storedMovieUuids(uuid), [queerama.uuid]);
  t.ok(
    await db.selectFrom('catalog_movies').where('uuid', '=', drama.uuid).select('uuid').executeTakeFirst(),
    'the movie itself is kept for other collections',
  );

  const appended = await inject(app, {
    method: 'POST',
    url: `/collection/${uuid}/movies`,
    token: alice.token,
    payload: drama,
  });
  t.same(
    appended.json().movies.map((m: { uuid: string }) => m.uuid),
    [queerama.uuid, drama.uuid],
    'a movie added after a removal goes last',
  );

  const notThere = randomUUID();
  const missing = await asAlice.DELETE('/collection/{uuid}/movies/{movie_uuid}', {
    params: { path: { uuid, movie_uuid: notThere } },
  });
  t.equal(missing.response.status, 404);
  t.same(missing.error, {
    success: false,
    error: 404,
    code: 'not_found',
    message: `movie ${notThere} is not in collection ${uuid}`,
  });
});

t.test("deleting a user deletes that user's collections", async (t) => {
  const carol = await createUser(app, db);
  const uuid = await createCollection(app, carol.token, [drama]);
  await db.deleteFrom('users').where('id', '=', carol.id).execute();
  t.equal((await db.selectFrom('collections').where('id', '=', uuid).selectAll().execute()).length, 0);
  t.equal(
    (await db.selectFrom('collection_movies').where('collection_id', '=', uuid).selectAll().execute()).length,
    0,
  );
});

t.test('concurrent writes to one collection keep one place per movie', async (t) => {
  const uuid = await createCollection(app, alice.token, [drama]);
  const newcomers = Array.from({ length: 12 }, (_, i) => movie('Drama', `Newcomer ${i}`));
  const responses = await Promise.all(
    newcomers.map((m) =>
      inject(app, { method: 'POST', url: `/collection/${uuid}/movies`, token: alice.token, payload: m }),
    ),
  );
  t.same(
    responses.map((r) => r.statusCode),
    newcomers.map(() => 201),
  );
  const rows = await db
    .selectFrom('collection_movies')
    .where('collection_id', '=', uuid)
    .select(['movie_uuid', 'position'])
    .orderBy('position')
    .execute();
  t.equal(rows.length, 13, 'every movie added once');
  t.same(
    rows.map((r) => r.position),
    Array.from({ length: 13 }, (_, i) => i + 1),
    'positions 1..13, none shared',
  );
});

t.test('concurrent collections sharing movies in any order all succeed', async (t) => {
  const shared = Array.from({ length: 8 }, (_, i) => movie('Comedy', `Shared ${i}`));
  const responses = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      asBob.POST('/collection/', {
        body: { title: `Rotation ${i}`, movies: [...shared.slice(i), ...shared.slice(0, i)] },
      }),
    ),
  );
  t.same(
    responses.map((r) => r.response.status),
    responses.map(() => 201),
  );
  const stored = await db
    .selectFrom('catalog_movies')
    .where(
      'uuid',
      'in',
      shared.map((m) => m.uuid),
    )
    .select('uuid')
    .execute();
  t.equal(stored.length, 8, 'each movie stored once');
});
