import t from 'tap';
import { buildTestApp, inject, tokenFor } from '../helpers/app.ts';
import { client } from '../helpers/client.ts';
import { actorsOfMovie, byIdRequests, castingFixtures, refusals } from './fixtures.ts';

const { app, db } = await buildTestApp(t);
const token = await tokenFor(app, 'executive_producer');
const api = client(app, token);
const fixtures = await castingFixtures(app);
const refused = refusals(app, db, token);

const peter = await fixtures.actor({ name: 'Peter', age: 23, gender: 'M' });
const martin = await fixtures.actor({ name: 'Martin', age: 24, gender: 'M' });

t.test('create a movie, read it at both paths, then delete it', async (t) => {
  const created = await api.POST('/movies', {
    body: { title: ' Genesis ', release_date: '2020-03-30', actors_id: [martin.id, peter.id] },
  });
  t.equal(created.response.status, 201);
  const id = created.data?.movie_id ?? 0;
  const movie = {
    id,
    title: 'Genesis',
    release_date: '2020-03-30',
    date_release: '20200330',
    actors_id: [peter.id, martin.id],
    actors: [
      { id: peter.id, name: 'Peter', age: 23, gender: 'M' },
      { id: martin.id, name: 'Martin', age: 24, gender: 'M' },
    ],
  };
  t.same(created.data, { success: true, movie_id: id, movie });
  t.match(await db.selectFrom('movies').selectAll().where('id', '=', id).executeTakeFirstOrThrow(), {
    title: 'Genesis',
    release_date: '2020-03-30',
  });

  const read = await api.GET('/movies/{id}', { params: { path: { id } } });
  t.same(read.data, { success: true, movie });
  t.same((await api.GET('/movie-details/{id}', { params: { path: { id } } })).data, read.data, 'alias');

  const deleted = await api.DELETE('/movies/{id}', { params: { path: { id } } });
  t.equal(deleted.response.status, 200);
  t.same(deleted.data, { success: true, deleted: id, movie_id: id, movie });
  t.equal(await db.selectFrom('movies').select('id').where('id', '=', id).executeTakeFirst(), undefined);
  t.same(await actorsOfMovie(db, id), [], 'its links went with it');
  const actors = await db
    .selectFrom('actors')
    .select('id')
    .where('id', 'in', [peter.id, martin.id])
    .execute();
  t.equal(actors.length, 2, 'its actors remain');
});

t.test("release dates: ISO, the rbac seed's DD-MM-YYYY and the all-stars seed's YYYYMMDD", async (t) => {
  const cases: [Record<string, string>, string][] = [
    [{ release_date: '2020-04-03' }, '2020-04-03'],
    [{ release_date: '08-02-2025' }, '2025-02-08'],
    [{ date_release: '20200403' }, '2020-04-03'],
    [{ release_date: '2024-02-29' }, '2024-02-29'],
    [{ release_date: '29-02-2000' }, '2000-02-29'],
    [{ date_release: '00011231' }, '0001-12-31'],
    [{ release_date: '2020-04-03', date_release: '20200403' }, '2020-04-03'],
  ];
  for (const [dates, expected] of cases) {
    const res = await inject(app, {
      method: 'POST',
      url: '/movies',
      token,
      payload: { title: 'Dated', actors_id: [peter.id], ...dates },
    });
    t.equal(res.statusCode, 201, JSON.stringify(dates));
    t.equal(res.json().movie.release_date, expected);
    t.equal(res.json().movie.date_release, expected.replaceAll('-', ''));
  }
});

t.test('impossible or malformed dates are 400 naming the field, and write nothing', async (t) => {
  const cases: [Record<string, string>, string][] = [
    [{ release_date: '2023-02-30' }, 'release_date'],
    [{ release_date: '2023-02-29' }, 'release_date'],
    [{ release_date: '1900-02-29' }, 'release_date'],
    [{ release_date: '2020-13-01' }, 'release_date'],
    [{ release_date: '2020-04-31' }, 'release_date'],
    [{ release_date: '2020-01-00' }, 'release_date'],
    [{ release_date: '0000-01-01' }, 'release_date'],
    [{ release_date: '30-02-2023' }, 'release_date'],
    [{ release_date: '2020/04/03' }, 'release_date'],
    [{ release_date: '2020-4-3' }, 'release_date'],
    [{ release_date: 'Sat, 08 Feb 2025 00:00:00 GMT' }, 'release_date'],
    [{ date_release: '20230230' }, 'date_release'],
    [{ date_release: '2020-04-03' }, 'date_release'],
    [{ date_release: '202004031' }, 'date_release'],
    [{ release_date: '2020-04-03', date_release: '20200404' }, 'date_release'],
  ];
  const movie = await fixtures.movie([peter.id]);
  for (const [dates, field] of cases) {
    const created = await refused(t, 400, {
      method: 'POST',
      url: '/movies',
      payload: { title: 'Bad date', actors_id: [peter.id], ...dates },
    });
    t.ok(
      created.details?.some((d) => d.field === field),
      `POST ${JSON.stringify(dates)} names ${field}`,
    );
    const updated = await refused(t, 400, {
      method: 'PATCH',
      url: `/movies/${movie.id}`,
      payload: { title: 'Not applied', ...dates },
    });
    t.ok(
      updated.details?.some((d) => d.field === field),
      `PATCH ${JSON.stringify(dates)} names ${field}`,
    );
  }
  const body = await refused(t, 400, {
    method: 'POST',
    url: '/movies',
    payload: { title: 'Bad', release_date: '2023-02-30', actors_id: [peter.id] },
  });
  t.same(body, {
    success: false,
    error: 400,
    code: 'validation_failed',
    message: 'invalid body',
    details: [{ field: 'release_date', message: 'is not a valid date' }],
  });
});

t.test('a movie needs at least one actor: an empty cast is 422', async (t) => {
  for (const field of ['actors_id', 'actors']) {
    const body = await refused(t, 422, {
      method: 'POST',
      url: '/movies',
      payload: { title: 'Ainda estou aqui', release_date: '08-02-2025', [field]: [] },
    });
    t.same(body, {
      success: false,
      error: 422,
      code: 'movie_needs_actor',
      message: 'a movie needs at least one actor',
      details: [{ field, message: 'must not be empty' }],
    });
  }
  const movie = await fixtures.movie([peter.id]);
  const patch = await refused(t, 422, {
    method: 'PATCH',
    url: `/movies/${movie.id}`,
    payload: { title: 'Not applied', actors_id: [] },
  });
  t.equal(patch.message, 'a movie needs at least one actor');
});

t.test('unknown actor ids are 422 listing them', async (t) => {
  const body = await refused(t, 422, {
    method: 'POST',
    url: '/movies',
    payload: { title: 'Ghosts', release_date: '2020-01-01', actors_id: [999999, peter.id, 999998] },
  });
  t.same(body, {
    success: false,
    error: 422,
    code: 'unknown_reference',
    message: 'unknown actor ids: 999998, 999999',
    details: [
      { field: 'actors_id', message: 'no actor with id 999998' },
      { field: 'actors_id', message: 'no actor with id 999999' },
    ],
  });
  const movie = await fixtures.movie([peter.id]);
  const patch = await refused(t, 422, {
    method: 'PATCH',
    url: `/movies/${movie.id}`,
    payload: { title: 'Not applied', actors: [martin.id, 777777] },
  });
  t.same(patch.details, [{ field: 'actors', message: 'no actor with id 777777' }], 'names the field sent');
});

t.test('cast lists: aliases and duplicates are merged', async (t) => {
  const res = await api.POST('/movies', {
    body: { title: 'Merged', release_date: '2020-01-01', actors: [martin.id, martin.id, peter.id] },
  });
  t.equal(res.response.status, 201);
  t.same(res.data?.movie.actors_id, [peter.id, martin.id]);
  t.same(await actorsOfMovie(db, res.data?.movie_id ?? 0), [peter.id, martin.id]);

  const both = await api.POST('/movies', {
    body: { title: 'Both', release_date: '2020-01-01', actors_id: [peter.id], actors: [martin.id] },
  });
  t.same(both.data?.movie.actors_id, [peter.id, martin.id], 'actors_id and actors are merged');
});

t.test('PATCH changes only what is sent; a cast replaces the cast', async (t) => {
  const movie = await fixtures.movie([peter.id], { title: 'Before', release_date: '2020-03-30' });
  const { actors, ...plain } = movie;

  const titled = await api.PATCH('/movies/{id}', {
    params: { path: { id: movie.id } },
    body: { title: 'After' },
  });
  t.equal(titled.response.status, 200);
  t.same(titled.data, { success: true, movie_id: movie.id, movie: { ...movie, title: 'After' } });

  const dated = await api.PATCH('/movies/{id}', {
    params: { path: { id: movie.id } },
    body: { date_release: '20200412' },
  });
  t.same(dated.data?.movie, {
    ...plain,
    actors,
    title: 'After',
    release_date: '2020-04-12',
    date_release: '20200412',
  });

  const recast = await api.PATCH('/movies/{id}', {
    params: { path: { id: movie.id } },
    body: { actors_id: [martin.id] },
  });
  t.same(recast.data?.movie.actors_id, [martin.id]);
  t.same(recast.data?.movie.actors, [{ id: martin.id, name: 'Martin', age: 24, gender: 'M' }]);
  t.same(await actorsOfMovie(db, movie.id), [martin.id]);

  const grown = await api.PATCH('/movies/{id}', {
    params: { path: { id: movie.id } },
    body: { actors: [peter.id, martin.id] },
  });
  t.same(grown.data?.movie.actors_id, [peter.id, martin.id]);
});

t.test('bodies that break the schema are 400 naming the field, and write nothing', async (t) => {
  const valid = { title: 'Valid', release_date: '2020-01-01', actors_id: [peter.id] };
  const { title: _t, ...noTitle } = valid;
  const { release_date: _r, ...noDate } = valid;
  const { actors_id: _a, ...noCast } = valid;
  const cases: [string, unknown, string][] = [
    ['no title', noTitle, 'title'],
    ['no date', noDate, 'release_date'],
    ['no cast', noCast, 'actors_id'],
    ['empty title', { ...valid, title: '' }, 'title'],
    ['blank title', { ...valid, title: '   ' }, 'title'],
    ['title too long', { ...valid, title: 'x'.repeat(201) }, 'title'],
    ['NUL in title', { ...valid, title: 'a\u0000b' }, 'title'],
    ['date not a string', { ...valid, release_date: 20200101 }, 'release_date'],
    ['cast not a list', { ...valid, actors_id: peter.id }, 'actors_id'],
    ['actor id 0', { ...valid, actors_id: [0] }, 'actors_id.0'],
    ['actor id too large', { ...valid, actors: [2147483648] }, 'actors.0'],
    ['unknown field', { ...valid, rating: 5 }, 'rating'],
  ];
  for (const [label, payload, field] of cases) {
    const body = await refused(t, 400, { method: 'POST', url: '/movies', payload });
    t.ok(
      body.details?.some((d) => d.field === field),
      `${label}: details name ${field} (${JSON.stringify(body.details)})`,
    );
  }
  const movie = await fixtures.movie([peter.id]);
  for (const [label, payload, field] of [
    ['empty body', {}, 'body'],
    ['blank title', { title: ' ' }, 'title'],
    ['null cast', { actors_id: null }, 'actors_id'],
    ['unknown field', { id: 1 }, 'id'],
  ] as const) {
    const body = await refused(t, 400, { method: 'PATCH', url: `/movies/${movie.id}`, payload });
    t.ok(
      body.details?.some((d) => d.field === field),
      `PATCH ${label}: details name ${field}`,
    );
  }
});

t.test('unknown ids are 404 with their own message; ids that are not ids are 400', async (t) => {
  for (const request of byIdRequests('movies', 424242, { title: 'x' })) {
    const body = await refused(t, 404, request);
    t.equal(body.message, 'movie 424242 not found', `${request.method} ${request.url}`);
  }
  // An unknown movie is 404 even when the cast sent is unknown too.
  const body = await refused(t, 404, {
    method: 'PATCH',
    url: '/movies/424242',
    payload: { actors_id: [424242] },
  });
  t.equal(body.message, 'movie 424242 not found');
  for (const id of ['abc', '0', '12abc', '2147483648']) {
    for (const request of byIdRequests('movies', id, { title: 'x' })) {
      const res = await refused(t, 400, request);
      t.ok(
        res.details?.some((d) => d.field === 'id'),
        `${request.method} ${request.url} names the id`,
      );
    }
  }
});
