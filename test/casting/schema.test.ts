import { sql } from 'kysely';
import t, { type Test } from 'tap';
import { createTestDatabase, rowCount } from '../helpers/database.ts';

// What the database itself guarantees, whatever code writes to it.
const { db, engine } = await createTestDatabase(t);

async function rejects(t: Test, label: string, write: () => Promise<unknown>, code: string) {
  await t.rejects(write(), { code }, label);
}

t.test(`check constraints on ${engine}`, async (t) => {
  const actor = (values: object) =>
    db
      .insertInto('actors')
      .values({ name: 'A', age: 30, gender: 'M', ...values })
      .execute();
  const CHECK = '23514';
  await rejects(t, 'age below 0', () => actor({ age: -1 }), CHECK);
  await rejects(t, 'age above 150', () => actor({ age: 151 }), CHECK);
  await rejects(t, 'gender outside M/F/X', () => actor({ gender: 'Z' }), CHECK);
  await rejects(t, 'blank name', () => actor({ name: '   ' }), CHECK);
  await rejects(t, 'empty name', () => actor({ name: '' }), CHECK);
  await rejects(t, 'name over 200', () => actor({ name: 'x'.repeat(201) }), CHECK);
  await rejects(
    t,
    'blank title',
    () => db.insertInto('movies').values({ title: ' ', release_date: '2020-01-01' }).execute(),
    CHECK,
  );
  for (const values of [{ age: 0 }, { age: 150 }, { gender: 'F' }, { gender: 'X' }]) await actor(values);
  t.equal(await rowCount(db, 'actors'), 4, 'the edge values are stored');
});

t.test('links: foreign keys, no duplicates, cascades from both sides', async (t) => {
  const [a, b] = await db
    .insertInto('actors')
    .values([
      { name: 'Linked A', age: 30, gender: 'F' },
      { name: 'Linked B', age: 31, gender: 'M' },
    ])
    .returning('id')
    .execute();
  const movie = await db
    .insertInto('movies')
    .values({ title: 'Linked', release_date: '2020-01-01' })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (!a || !b) throw new Error('actors not inserted');
  await db
    .insertInto('movie_actors')
    .values([
      { movie_id: movie.id, actor_id: a.id },
      { movie_id: movie.id, actor_id: b.id },
    ])
    .execute();
  await rejects(
    t,
    'duplicate link',
    () => db.insertInto('movie_actors').values({ movie_id: movie.id, actor_id: a.id }).execute(),
    '23505',
  );
  await rejects(
    t,
    'link to no actor',
    () => db.insertInto('movie_actors').values({ movie_id: movie.id, actor_id: 999999 }).execute(),
    '23503',
  );
  await rejects(
    t,
    'link to no movie',
    () => db.insertInto('movie_actors').values({ movie_id: 999999, actor_id: a.id }).execute(),
    '23503',
  );
  await db.deleteFrom('actors').where('id', '=', a.id).execute();
  t.same(
    await db.selectFrom('movie_actors').select('actor_id').where('movie_id', '=', movie.id).execute(),
    [{ actor_id: b.id }],
    'deleting an actor removes its links',
  );
  await db.deleteFrom('movies').where('id', '=', movie.id).execute();
  t.same(await db.selectFrom('movie_actors').selectAll().where('actor_id', '=', b.id).execute(), []);
});

t.test('every lookup has an index', async (t) => {
  const { rows } = await sql<{ indexdef: string }>`
    select indexdef from pg_indexes where tablename = 'movie_actors' order by indexname`.execute(db);
  const defs = rows.map((r) => r.indexdef);
  t.ok(
    defs.some((d) => /\(movie_id, actor_id\)/.test(d)),
    `actors of a movie: ${defs.join('; ')}`,
  );
  t.ok(
    defs.some((d) => /\(actor_id, movie_id\)/.test(d)),
    'movies of an actor (and the cascade from actors)',
  );
});
