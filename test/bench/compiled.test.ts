/**
 * compiledOnce (src/db/compiled.ts): the hot reads compiled once answer what Kysely's builder answers, on both
 * engines, and a builder whose parameters are not exactly its arguments is refused on its first call.
 */
import t from 'tap';
import { findActorDetail, findMovieDetail } from '../../src/casting/queries.ts';
import { compiledOnce } from '../../src/db/compiled.ts';
import { createTestDatabase } from '../helpers/database.ts';

const { db } = await createTestDatabase(t);
const actors = await db
  .insertInto('actors')
  .values([
    { name: 'Ada', age: 30, gender: 'F' },
    { name: 'Ben', age: 40, gender: 'M' },
  ])
  .returning('id')
  .execute();
const [ada, ben] = actors.map((row) => row.id) as [number, number];
const movie = await db
  .insertInto('movies')
  .values({ title: 'Genesis', release_date: '2020-03-30' })
  .returning('id')
  .executeTakeFirstOrThrow();
await db
  .insertInto('movie_actors')
  .values([
    { movie_id: movie.id, actor_id: ada },
    { movie_id: movie.id, actor_id: ben },
  ])
  .execute();

t.test('each call binds its own argument to the one compiled query', async (t) => {
  t.same(await findActorDetail(db, ada), {
    id: ada,
    name: 'Ada',
    age: 30,
    gender: 'F',
    movies: [{ id: movie.id, title: 'Genesis', release_date: '2020-03-30' }],
    movies_id: [movie.id],
  });
  t.equal((await findActorDetail(db, ben))?.name, 'Ben', 'the next call reads another row');
  t.equal(await findActorDetail(db, ben + 1000), undefined, 'and a missing one is undefined');
  const detail = await findMovieDetail(db, movie.id);
  t.same(detail?.actors_id, [ada, ben]);
  t.equal(detail?.date_release, '20200330');
});

t.test('the same query inside a transaction', async (t) => {
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('actors').set({ name: 'Ada L.' }).where('id', '=', ada).execute();
    t.equal((await findActorDetail(trx, ada))?.name, 'Ada L.', 'sees the transaction’s own write');
  });
});

t.test('a builder whose parameters are not its arguments fails on its first call', async (t) => {
  const constant = compiledOnce(
    (db, id: number) =>
      db.selectFrom('actors').select('id').where('id', '=', id).where('age', '>', 18),
    [1],
  );
  await t.rejects(constant(db, ada), /parameters are not the arguments in order/);
  const swapped = compiledOnce(
    (db, name: string, age: number) =>
      db.selectFrom('actors').select('id').where('age', '=', age).where('name', '=', name),
    ['Ada', 30],
  );
  await t.rejects(swapped(db, 'Ada', 30), /parameters are not the arguments in order/);
  const right = compiledOnce(
    (db, limit: number, offset: number) =>
      db.selectFrom('actors').select('id').orderBy('id').limit(limit).offset(offset),
    [2, 3],
  );
  t.same(await right(db, 1, 1), [{ id: ben }], 'limit and offset in the order Kysely writes them');
});
