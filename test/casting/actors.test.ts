import t from 'tap';
import { buildTestApp, inject, tokenFor } from '../helpers/app.ts';
import { client } from '../helpers/client.ts';
import { actorsOfMovie, byIdRequests, castingFixtures, refusals } from './fixtures.ts';

const { app, db } = await buildTestApp(t);
const token = await tokenFor(app, 'casting_director');
const api = client(app, token);
const fixtures = await castingFixtures(app);
const refused = refusals(app, db, token);

t.test('create an actor, read it at both paths, then delete it', async (t) => {
  const created = await api.POST('/actors', { body: { name: '  Peter  ', age: 23, gender: 'M' } });
  t.equal(created.response.status, 201);
  const actor = created.data?.actor;
  t.same(created.data, {
    success: true,
    actor_id: actor?.id,
    actor: { id: actor?.id, name: 'Peter', age: 23, gender: 'M', movies_id: [], movies: [] },
  });
  const id = actor?.id ?? 0;
  const stored = await db.selectFrom('actors').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  t.match(stored, { name: 'Peter', age: 23, gender: 'M' }, 'stored trimmed');

  const read = await api.GET('/actors/{id}', { params: { path: { id } } });
  t.same(read.data, { success: true, actor });
  const alias = await api.GET('/actor-details/{id}', { params: { path: { id } } });
  t.same(alias.data, read.data, '/actor-details is the same resource');

  const deleted = await api.DELETE('/actors/{id}', { params: { path: { id } } });
  t.equal(deleted.response.status, 200);
  t.same(deleted.data, { success: true, deleted: id, actor_id: id, actor });
  t.equal(await db.selectFrom('actors').select('id').where('id', '=', id).executeTakeFirst(), undefined);
  t.equal((await api.GET('/actors/{id}', { params: { path: { id } } })).response.status, 404);
});

t.test('an actor can be cast in movies on creation, with either name of the list', async (t) => {
  const lead = await fixtures.actor();
  const first = await fixtures.movie([lead.id], { title: 'First', release_date: '2001-02-03' });
  const second = await fixtures.movie([lead.id], { title: 'Second', release_date: '2004-05-06' });

  const res = await api.POST('/actors', {
    body: { name: 'Fernanda Torres', age: 59, gender: 'F', movies: [second.id, first.id, second.id] },
  });
  t.equal(res.response.status, 201);
  t.same(res.data?.actor.movies_id, [first.id, second.id], 'merged, ascending');
  t.same(res.data?.actor.movies, [
    { id: first.id, title: 'First', release_date: '2001-02-03' },
    { id: second.id, title: 'Second', release_date: '2004-05-06' },
  ]);
  t.same(await actorsOfMovie(db, first.id), [lead.id, res.data?.actor.id]);

  const both = await api.POST('/actors', {
    body: { name: 'Both', age: 40, gender: 'X', movies_id: [first.id], movies: [second.id] },
  });
  t.same(both.data?.actor.movies_id, [first.id, second.id], 'movies_id and movies are merged');
});

t.test('PATCH changes only what is sent', async (t) => {
  const actor = await fixtures.actor({ name: 'Mangus', age: 38, gender: 'M' });
  const res = await api.PATCH('/actors/{id}', { params: { path: { id: actor.id } }, body: { age: 30 } });
  t.equal(res.response.status, 200);
  t.same(res.data, { success: true, actor_id: actor.id, actor: { ...actor, age: 30 } });

  const renamed = await api.PATCH('/actors/{id}', {
    params: { path: { id: actor.id } },
    body: { name: ' Magnus ', gender: 'X' },
  });
  t.same(renamed.data?.actor, { ...actor, age: 30, name: 'Magnus', gender: 'X' });
});

t.test('PATCH movies_id replaces the movie list', async (t) => {
  const actor = await fixtures.actor();
  const other = await fixtures.actor();
  const a = await fixtures.movie([other.id]);
  const b = await fixtures.movie([other.id]);
  const c = await fixtures.movie([other.id, actor.id]);

  const res = await api.PATCH('/actors/{id}', {
    params: { path: { id: actor.id } },
    body: { movies_id: [b.id, a.id, a.id] },
  });
  t.equal(res.response.status, 200);
  t.same(res.data?.actor.movies_id, [a.id, b.id]);
  t.same(await actorsOfMovie(db, c.id), [other.id], 'left the movie not in the list');

  const alias = await api.PATCH('/actors/{id}', { params: { path: { id: actor.id } }, body: { movies: [] } });
  t.same(alias.data?.actor.movies_id, [], '`movies` works too, and [] leaves every movie');
  t.same(await actorsOfMovie(db, a.id), [other.id]);
});

t.test(
  "an actor who is a movie's only actor cannot leave it or be deleted: 409 naming the movies",
  async (t) => {
    const actor = await fixtures.actor({ name: 'Solo' });
    const partner = await fixtures.actor();
    const alone = await fixtures.movie([actor.id], { title: 'Alone' });
    const alsoAlone = await fixtures.movie([actor.id], { title: 'Also Alone' });
    const shared = await fixtures.movie([actor.id, partner.id], { title: 'Shared' });

    const deletion = await refused(t, 409, { method: 'DELETE', url: `/actors/${actor.id}` });
    t.equal(
      deletion.message,
      `actor ${actor.id} is the only actor of: Alone (${alone.id}), Also Alone (${alsoAlone.id})`,
    );
    t.same(deletion.details, [
      { field: 'movies_id', message: `movie ${alone.id} would have no actors` },
      { field: 'movies_id', message: `movie ${alsoAlone.id} would have no actors` },
    ]);

    // The other fields of a refused PATCH are not applied either.
    const patch = await refused(t, 409, {
      method: 'PATCH',
      url: `/actors/${actor.id}`,
      payload: { name: 'Changed', movies_id: [alone.id] },
    });
    t.equal(patch.message, `actor ${actor.id} is the only actor of: Also Alone (${alsoAlone.id})`);

    // Leaving only the shared movie is fine.
    const ok = await api.PATCH('/actors/{id}', {
      params: { path: { id: actor.id } },
      body: { movies_id: [alone.id, alsoAlone.id] },
    });
    t.equal(ok.response.status, 200);
    t.same(await actorsOfMovie(db, shared.id), [partner.id]);
  },
);

t.test('unknown movie ids are 422 listing them', async (t) => {
  const movie = await fixtures.movie([(await fixtures.actor()).id]);
  const body = await refused(t, 422, {
    method: 'POST',
    url: '/actors',
    payload: { name: 'Ghost', age: 30, gender: 'F', movies_id: [999998, movie.id, 999999] },
  });
  t.equal(body.message, 'unknown movie ids: 999998, 999999');
  t.same(body.details, [
    { field: 'movies_id', message: 'no movie with id 999998' },
    { field: 'movies_id', message: 'no movie with id 999999' },
  ]);

  const actor = await fixtures.actor();
  const patch = await refused(t, 422, {
    method: 'PATCH',
    url: `/actors/${actor.id}`,
    payload: { age: 99, movies: [movie.id, 424242] },
  });
  t.same(patch.details, [{ field: 'movies', message: 'no movie with id 424242' }], 'names the field sent');
});

t.test('bodies that break the rules are 400 naming the field, and write nothing', async (t) => {
  const valid = { name: 'Valid', age: 30, gender: 'F' };
  const cases: [string, unknown, string][] = [
    ['no name', { age: 30, gender: 'F' }, 'name'],
    ['no age', { name: 'A', gender: 'F' }, 'age'],
    ['no gender', { name: 'A', age: 30 }, 'gender'],
    ['empty name', { ...valid, name: '' }, 'name'],
    ['blank name', { ...valid, name: ' \t ' }, 'name'],
    ['name too long', { ...valid, name: 'x'.repeat(201) }, 'name'],
    ['NUL in name', { ...valid, name: 'a\u0000b' }, 'name'],
    ['lone surrogate in name', { ...valid, name: 'a\ud800b' }, 'name'],
    ['name not a string', { ...valid, name: 42 }, 'name'],
    ['negative age', { ...valid, age: -1 }, 'age'],
    ['age over 150', { ...valid, age: 151 }, 'age'],
    ['fractional age', { ...valid, age: 30.5 }, 'age'],
    ['age as a string', { ...valid, age: '30' }, 'age'],
    ['unknown gender', { ...valid, gender: 'Z' }, 'gender'],
    ['lower-case gender', { ...valid, gender: 'f' }, 'gender'],
    ['movies_id not a list', { ...valid, movies_id: 10 }, 'movies_id'],
    ['movie id 0', { ...valid, movies_id: [0] }, 'movies_id.0'],
    ['movie id not an integer', { ...valid, movies: ['10'] }, 'movies.0'],
    ['unknown field', { ...valid, email: 'a@b.c' }, 'email'],
  ];
  for (const [label, payload, field] of cases) {
    const body = await refused(t, 400, { method: 'POST', url: '/actors', payload });
    t.ok(
      body.details?.some((d) => d.field === field),
      `${label}: details name ${field} (${JSON.stringify(body.details)})`,
    );
  }

  for (const name of ['a\u0000b', 'a\ud800b']) {
    const body = await refused(t, 400, { method: 'POST', url: '/actors', payload: { ...valid, name } });
    t.same(body.details, [{ field: 'name', message: 'must be well-formed Unicode without NUL characters' }]);
  }

  const actor = await fixtures.actor();
  const patches: [string, unknown, string][] = [
    ['empty body', {}, 'body'],
    ['negative age', { age: -1 }, 'age'],
    ['blank name', { name: '   ' }, 'name'],
    ['unknown gender', { gender: 'Q' }, 'gender'],
    ['null name', { name: null }, 'name'],
    ['unknown field', { id: 5 }, 'id'],
  ];
  for (const [label, payload, field] of patches) {
    const body = await refused(t, 400, { method: 'PATCH', url: `/actors/${actor.id}`, payload });
    t.ok(
      body.details?.some((d) => d.field === field),
      `PATCH ${label}: details name ${field}`,
    );
  }

  const malformed = await inject(app, {
    method: 'POST',
    url: '/actors',
    token,
    headers: { 'content-type': 'application/json' },
    payload: '{"name": "Broken",',
  });
  t.equal(malformed.statusCode, 400);
  t.equal(malformed.json().message, 'malformed JSON body');
});

t.test('unknown ids are 404 with their own message; ids that are not ids are 400', async (t) => {
  for (const request of byIdRequests('actors', 424242, { age: 1 })) {
    const body = await refused(t, 404, request);
    t.equal(body.message, 'actor 424242 not found', `${request.method} ${request.url}`);
  }
  for (const id of ['abc', '0', '-1', '1.5', '2147483648']) {
    for (const request of byIdRequests('actors', id, { age: 1 })) {
      const body = await refused(t, 400, request);
      t.ok(
        body.details?.some((d) => d.field === 'id'),
        `${request.method} ${request.url} names the id`,
      );
    }
  }
});

t.test('deleting an actor takes them out of movies that keep other actors', async (t) => {
  const actor = await fixtures.actor();
  const partner = await fixtures.actor();
  const movie = await fixtures.movie([actor.id, partner.id], { title: 'Duet', release_date: '1999-12-31' });
  const res = await api.DELETE('/actors/{id}', { params: { path: { id: actor.id } } });
  t.equal(res.response.status, 200);
  t.same(res.data?.actor?.movies, [{ id: movie.id, title: 'Duet', release_date: '1999-12-31' }]);
  t.same(await actorsOfMovie(db, movie.id), [partner.id]);
});
