import t from 'tap';
import { buildTestApp, inject, type Response, tokenFor } from '../helpers/app.ts';
import { actorsOfMovie, castingFixtures, castingSnapshot } from './fixtures.ts';

// "A movie always has at least one actor", also when requests race. On PostgreSQL the requests below really run
// at the same time (a pool of connections); on PGlite they are serialised, and the rule must hold there too.
const { app, db, database } = await buildTestApp(t);
const director = await tokenFor(app, 'casting_director');
const fixtures = await castingFixtures(app);
const ROUNDS = 30;

const removeActor = (id: number) => inject(app, { method: 'DELETE', url: `/actors/${id}`, token: director });
const leaveAllMovies = (id: number) =>
  inject(app, { method: 'PATCH', url: `/actors/${id}`, token: director, payload: { movies_id: [] } });

function outcomes(responses: Response[]): { ok: number; conflict: number; other: number[] } {
  const codes = responses.map((r) => r.statusCode);
  return {
    ok: codes.filter((c) => c === 200).length,
    conflict: codes.filter((c) => c === 409).length,
    other: codes.filter((c) => c !== 200 && c !== 409),
  };
}

/** Every movie in the database has an actor. */
async function moviesWithoutActors(): Promise<number[]> {
  const rows = await db
    .selectFrom('movies')
    .select('id')
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('movie_actors').select('actor_id').whereRef('movie_actors.movie_id', '=', 'movies.id'),
        ),
      ),
    )
    .execute();
  return rows.map((row) => row.id);
}

const races: [string, (a: number, b: number) => Promise<Response>[]][] = [
  ['delete A and delete B', (a, b) => [removeActor(a), removeActor(b)]],
  ['delete A and PATCH B out of the movie', (a, b) => [removeActor(a), leaveAllMovies(b)]],
  ['PATCH A and PATCH B out of the movie', (a, b) => [leaveAllMovies(a), leaveAllMovies(b)]],
];

for (const [name, race] of races) {
  t.test(`${name}, in parallel, ${ROUNDS} times on ${database.engine}: exactly one wins`, async (t) => {
    for (let round = 0; round < ROUNDS; round++) {
      const a = await fixtures.actor();
      const b = await fixtures.actor();
      const movie = await fixtures.movie([a.id, b.id]);
      const result = outcomes(await Promise.all(race(a.id, b.id)));
      t.same(result, { ok: 1, conflict: 1, other: [] }, `round ${round}: one 200 and one 409`);
      t.equal((await actorsOfMovie(db, movie.id)).length, 1, `round ${round}: the movie kept one actor`);
    }
    t.same(await moviesWithoutActors(), [], 'no movie without actors');
  });
}

t.test(`two actors sharing two movies, deleted in parallel ${ROUNDS} times: exactly one wins`, async (t) => {
  for (let round = 0; round < ROUNDS; round++) {
    const a = await fixtures.actor();
    const b = await fixtures.actor();
    const first = await fixtures.movie([a.id, b.id]);
    const second = await fixtures.movie([b.id, a.id]);
    const result = outcomes(await Promise.all([removeActor(b.id), removeActor(a.id)]));
    t.same(result, { ok: 1, conflict: 1, other: [] }, `round ${round}: one 200 and one 409`);
    t.equal((await actorsOfMovie(db, first.id)).length, 1, `round ${round}: the first movie kept an actor`);
    t.equal((await actorsOfMovie(db, second.id)).length, 1, `round ${round}: the second movie kept an actor`);
  }
  t.same(await moviesWithoutActors(), [], 'no movie without actors');
});

t.test(`five actors leaving one movie at once, ${ROUNDS} times: all but one succeed`, async (t) => {
  for (let round = 0; round < ROUNDS; round++) {
    const cast = [];
    for (let i = 0; i < 5; i++) cast.push(await fixtures.actor());
    const movie = await fixtures.movie(cast.map((actor) => actor.id));
    const result = outcomes(
      await Promise.all(
        cast.map((actor, i) => (i % 2 === 0 ? leaveAllMovies(actor.id) : removeActor(actor.id))),
      ),
    );
    t.same(result, { ok: 4, conflict: 1, other: [] }, `round ${round}: four 200s and one 409`);
    t.equal((await actorsOfMovie(db, movie.id)).length, 1, `round ${round}: the movie kept one actor`);
  }
});

t.test(
  `recasting a movie while its new actor is deleted, ${ROUNDS} times: never an empty cast`,
  async (t) => {
    const producer = await tokenFor(app, 'executive_producer');
    for (let round = 0; round < ROUNDS; round++) {
      const a = await fixtures.actor();
      const b = await fixtures.actor();
      const movie = await fixtures.movie([a.id]);
      const [recast, removal] = await Promise.all([
        inject(app, {
          method: 'PATCH',
          url: `/movies/${movie.id}`,
          token: producer,
          payload: { actors_id: [b.id] },
        }),
        removeActor(b.id),
      ]);
      // Either the recast commits first (b is then the movie's only actor and cannot go) or the deletion does
      // (b is then unknown to the recast): one of the two is refused, whichever order the database picked.
      const codes = [recast.statusCode, removal.statusCode];
      t.ok(
        (codes[0] === 200 && codes[1] === 409) || (codes[0] === 422 && codes[1] === 200),
        `round ${round}: recast ${codes[0]}, delete ${codes[1]}`,
      );
      t.same(await actorsOfMovie(db, movie.id), codes[0] === 200 ? [b.id] : [a.id], `round ${round}: cast`);
    }
    t.same(await moviesWithoutActors(), [], 'no movie without actors');
  },
);

t.test('a refused removal changes nothing', async (t) => {
  const a = await fixtures.actor();
  const movie = await fixtures.movie([a.id]);
  const before = await castingSnapshot(db);
  t.equal((await removeActor(a.id)).statusCode, 409);
  t.equal((await leaveAllMovies(a.id)).statusCode, 409);
  t.same(await castingSnapshot(db), before, 'nothing written');
  t.same(await actorsOfMovie(db, movie.id), [a.id]);
});
