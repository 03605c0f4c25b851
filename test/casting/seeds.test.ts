import t from 'tap';
import { buildTestApp, inject } from '../helpers/app.ts';
import { createUser } from '../helpers/users.ts';
import { actorsOfMovie } from './fixtures.ts';

// The seeds' own sample calls, sent as their READMEs write them: the all-stars seed's curl lines (lower-case
// `bearer`, `Content-type`, bodies as typed) and the rbac seed's bodies.
const { app, db } = await buildTestApp(t);
const ASSISTANT_JWT = (await createUser(app, db, { role: 'casting_assistant' })).token;
const DIRECTOR_JWT = (await createUser(app, db, { role: 'casting_director' })).token;
const PRODUCER_JWT = (await createUser(app, db, { role: 'executive_producer' })).token;

/** `curl [-X method] localhost:8080<url> -H "Authorization: bearer ${jwt}" [-H "Content-type: application/json" -d body]` */
function curl(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, jwt: string, body?: string) {
  return inject(app, {
    method,
    url,
    headers: {
      Authorization: `bearer ${jwt}`,
      ...(body === undefined ? {} : { 'Content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { payload: body }),
  });
}

t.test('the all-stars seed, call by call', async (t) => {
  const peter = await curl('POST', '/actors', DIRECTOR_JWT, '{"name":"Peter", "age":23, "gender":"M"}');
  const martin = await curl('POST', '/actors/', DIRECTOR_JWT, '{"name":"Martin", "age":24, "gender":"M"}');
  t.equal(peter.statusCode, 201);
  t.equal(martin.statusCode, 201, 'POST /actors/ with its trailing slash');
  const peterId: number = peter.json().actor_id;
  const martinId: number = martin.json().actor_id;
  const genesis = await curl(
    'POST',
    '/movies',
    PRODUCER_JWT,
    `{"title":"Genesis", "date_release":"20200330", "actors_id":[${peterId}]}`,
  );
  const genesisId: number = genesis.json().movie_id;

  // curl localhost:8080/actors -H "Authorization: bearer ${ASSISTANT_JWT}"
  const actors = await curl('GET', '/actors', ASSISTANT_JWT);
  t.equal(actors.statusCode, 200);
  t.match(actors.json(), {
    actors: [
      { age: 23, gender: 'M', id: peterId, movies_id: [genesisId], name: 'Peter' },
      { age: 24, gender: 'M', id: martinId, movies_id: [], name: 'Martin' },
    ],
    success: true,
    total_actors: 2,
  });

  // curl localhost:8080/movies -H "Authorization: bearer ${ASSISTANT_JWT}"
  const movies = await curl('GET', '/movies', ASSISTANT_JWT);
  t.equal(movies.statusCode, 200);
  t.match(movies.json(), {
    movies: [{ actors_id: [peterId], date_release: '20200330', id: genesisId, title: 'Genesis' }],
    success: true,
    total_movies: 1,
  });

  // curl -X POST localhost:8080/actors -H "Authorization: bearer ${DIRECTOR_JWT}" -H "Content-type: ..." -d '...'
  const mangus = await curl('POST', '/actors', DIRECTOR_JWT, '{"name":"Mangus", "age":38, "gender":"M"}');
  t.equal(mangus.statusCode, 201);
  const mangusId: number = mangus.json().actor_id;
  t.match(mangus.json(), { actor_id: Number, success: true });

  const genesis2 = await curl(
    'POST',
    '/movies',
    PRODUCER_JWT,
    `{"title":"Genesis II", "date_release":"20200403", "actors_id":[${mangusId}]}`,
  );
  t.equal(genesis2.statusCode, 201);
  t.match(genesis2.json(), { movie_id: Number, success: true });
  const genesis2Id: number = genesis2.json().movie_id;

  const patchedActor = await curl(
    'PATCH',
    `/actors/${mangusId}`,
    DIRECTOR_JWT,
    '{"name":"Mangus", "age":30, "gender":"M"}',
  );
  t.equal(patchedActor.statusCode, 200);
  t.match(patchedActor.json(), { actor_id: mangusId, success: true });
  t.match(await db.selectFrom('actors').selectAll().where('id', '=', mangusId).executeTakeFirst(), {
    age: 30,
  });

  const patchedMovie = await curl(
    'PATCH',
    `/movies/${genesis2Id}`,
    PRODUCER_JWT,
    `{"title":"Genesis II", "date_release":"20200412", "actors_id":[${mangusId}]}`,
  );
  t.equal(patchedMovie.statusCode, 200);
  t.match(patchedMovie.json(), { movie_id: genesis2Id, success: true });
  t.match(await db.selectFrom('movies').selectAll().where('id', '=', genesis2Id).executeTakeFirst(), {
    release_date: '2020-04-12',
  });

  // curl -X DELETE localhost:8080/actors/28 -H "Authorization: bearer ${DIRECTOR_JWT}"
  const deletedActor = await curl('DELETE', `/actors/${martinId}`, DIRECTOR_JWT);
  t.equal(deletedActor.statusCode, 200);
  t.match(deletedActor.json(), { actor_id: martinId, success: true });

  // curl -X DELETE localhost:8080/movies/10 -H "Authorization: bearer ${PRODUCER_JWT}"
  const deletedMovie = await curl('DELETE', `/movies/${genesisId}`, PRODUCER_JWT);
  t.equal(deletedMovie.statusCode, 200);
  t.match(deletedMovie.json(), { movie_id: genesisId, success: true });

  // The seed's note: an actor can exist without movies, a movie cannot exist without actors.
  const orphaning = await curl('DELETE', `/actors/${mangusId}`, DIRECTOR_JWT);
  t.equal(orphaning.statusCode, 409);
  t.same(await actorsOfMovie(db, genesis2Id), [mangusId]);

  // Its role table: a director may not create or delete movies.
  const forbidden = await curl('DELETE', `/movies/${genesis2Id}`, DIRECTOR_JWT);
  t.equal(forbidden.statusCode, 403);
});

t.test('the rbac seed: its paths, aliases, DD-MM-YYYY dates and delete body', async (t) => {
  const actor = await curl(
    'POST',
    '/actors',
    DIRECTOR_JWT,
    '{"name":"Fernanda Torres","age":59,"gender":"F"}',
  );
  const actorId: number = actor.json().actor_id;

  // Its sample body has an empty cast, which the all-stars rule (a movie always has an actor) refuses.
  const empty = await curl(
    'POST',
    '/movies',
    PRODUCER_JWT,
    '{ "title": "Ainda estou aqui", "release_date": "08-02-2025", "actors": [] }',
  );
  t.equal(empty.statusCode, 422);
  t.equal(
    await db.selectFrom('movies').select('id').where('title', '=', 'Ainda estou aqui').executeTakeFirst(),
    undefined,
  );

  const created = await curl(
    'POST',
    '/movies',
    PRODUCER_JWT,
    `{ "title": "Ainda estou aqui", "release_date": "08-02-2025", "actors": [${actorId}] }`,
  );
  t.equal(created.statusCode, 201);
  t.match(created.json(), {
    movie: { actors: [{ id: actorId }], id: Number, release_date: '2025-02-08', title: 'Ainda estou aqui' },
    success: true,
  });
  const movieId: number = created.json().movie_id;

  const details = await curl('GET', `/movie-details/${movieId}`, ASSISTANT_JWT);
  t.equal(details.statusCode, 200);
  t.match(details.json(), {
    movie: { actors_id: [actorId], actors: [{ id: actorId }], id: movieId, release_date: '2025-02-08' },
    success: true,
  });
  const actorDetails = await curl('GET', `/actor-details/${actorId}`, ASSISTANT_JWT);
  t.match(actorDetails.json(), { actor: { id: actorId, movies_id: [movieId], movies: [{ id: movieId }] } });

  const patched = await curl(
    'PATCH',
    `/movies/${movieId}`,
    PRODUCER_JWT,
    `{ "title": "Ainda estou aqui", "release_date": "07-11-2024", "actors": [${actorId}] }`,
  );
  t.equal(patched.statusCode, 200);
  t.match(patched.json(), { movie: { id: movieId, release_date: '2024-11-07' }, success: true });

  const deleted = await curl('DELETE', `/movies/${movieId}`, PRODUCER_JWT);
  t.equal(deleted.statusCode, 200);
  t.match(deleted.json(), {
    deleted: movieId,
    movie: { id: movieId, release_date: '2024-11-07', title: 'Ainda estou aqui' },
    success: true,
  });

  const deletedActor = await curl('DELETE', `/actors/${actorId}`, DIRECTOR_JWT);
  t.match(deletedActor.json(), {
    deleted: actorId,
    actor: { id: actorId, name: 'Fernanda Torres' },
    success: true,
  });
});
