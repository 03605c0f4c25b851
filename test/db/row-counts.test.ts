import { type Kysely, sql, type Transaction } from 'kysely';
import t, { type Test } from 'tap';
import { type CountedTable, exactCount } from '../../src/db/row-counts.ts';
import type { DB } from '../../src/db/types.ts';
import { createTestDatabase, rowCount } from '../helpers/database.ts';

const { db, engine } = await createTestDatabase(t);
const TABLES: CountedTable[] = ['users', 'actors', 'movies', 'messages'];

async function matches(t: Test, when: string): Promise<void> {
  for (const table of TABLES) t.equal(await exactCount(db, table), await rowCount(db, table), `${table}: ${when}`);
}

const addUsers = (on: Kysely<DB> | Transaction<DB>, n: number, tag: string) =>
  sql`insert into users (username, password_hash, role)
    select ${tag} || '-' || g, 'placeholder:not-a-hash', 'member' from generate_series(1, ${n}::int) g`.execute(on);

t.test('the maintained totals match COUNT(*) after inserts, deletes, a rollback and a truncate', async (t) => {
  await matches(t, 'empty');
  await addUsers(db, 30, 'plain');
  await sql`insert into actors (name, age, gender) select 'A' || g, 30, 'F' from generate_series(1, 25) g`.execute(db);
  await sql`insert into messages (author_id, content) select id, 'hello' from users`.execute(db);
  await matches(t, 'after inserts');
  await sql`delete from actors where id % 3 = 0`.execute(db);
  // Deleting users cascades to their messages: both totals follow.
  await sql`delete from users where username like 'plain-1%'`.execute(db);
  await matches(t, 'after deletes and a cascade');
  await db
    .transaction()
    .execute(async (trx) => {
      await sql`insert into movies (title, release_date) values ('Gone', '2000-01-01')`.execute(trx);
      throw new Error('roll back');
    })
    .catch(() => {});
  await matches(t, 'after a rollback');
  await sql`truncate messages`.execute(db);
  await matches(t, 'after a truncate');
});

t.test('a snapshot sees a total that agrees with its rows while others write', async (t) => {
  const { before, after, counted } = await db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const before = await exactCount(trx, 'users');
      // Another connection's committed write (PostgreSQL); PGlite has one connection, so the snapshot's own.
      await addUsers(engine === 'postgres' ? db : trx, 5, 'meanwhile');
      const { rows } = await sql<{ n: string }>`select count(*) as n from users`.execute(trx);
      return { before, after: await exactCount(trx, 'users'), counted: Number(rows[0]?.n) };
    });
  t.equal(after, counted, 'the total and COUNT(*) of the same snapshot agree');
  t.equal(after, engine === 'postgres' ? before : before + 5, 'the total is the snapshot’s');
  await matches(t, 'afterwards');
});

t.test('concurrent writers on separate connections keep the totals exact', { skip: engine === 'pglite' && 'PGlite has one connection: nothing runs concurrently' }, async (t) => {
  // 20 writers (the pool's size), each 10 transactions of inserts and deletes, some rolled back.
  await Promise.all(
    Array.from({ length: 20 }, async (_, w) => {
      for (let i = 0; i < 10; i++) {
        await db
          .transaction()
          .execute(async (trx) => {
            await sql`insert into actors (name, age, gender) select 'W' || g, 40, 'M' from generate_series(1, ${1 + ((w + i) % 4)}::int) g`.execute(trx);
            await sql`insert into users (username, password_hash, role) values (${`writer-${w}-${i}`}, 'x', 'member')`.execute(trx);
            await sql`delete from actors where id = (select min(id) from actors where name like 'W%')`.execute(trx);
            if (i % 3 === 2) throw new Error('roll back');
          })
          .catch((error: Error) => {
            // A concurrent delete of the same row is fine; anything else is not.
            if (error.message !== 'roll back') throw error;
          });
      }
    }),
  );
  await matches(t, 'after 200 concurrent transactions');
  const slots = await sql<{ n: string }>`select count(*) as n from row_counts where table_name = 'actors'`.execute(db);
  t.ok(Number(slots.rows[0]?.n) > 1, 'writers on different connections added to different rows');
});
