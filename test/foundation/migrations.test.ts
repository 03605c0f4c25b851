import { sql } from 'kysely';
import t from 'tap';
import { migrateToLatest, rollback } from '../../src/db/migrate.ts';
import { createTestDatabase } from '../helpers/database.ts';

const { db, engine } = await createTestDatabase(t, { migrate: false });

async function tables(): Promise<string[]> {
  const { rows } = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = 'public' and table_name not like 'kysely_%' order by table_name`.execute(db);
  return rows.map((r) => r.table_name);
}

t.test(`migrations go up, down and up again on ${engine}`, async (t) => {
  const up = await migrateToLatest(db);
  t.ok((up.results ?? []).length > 0, 'some migrations applied');
  const created = await tables();
  t.ok(created.includes('users'), `tables after up: ${created.join(', ')}`);

  const down = await rollback(db, true);
  t.equal(down.results?.length, up.results?.length, 'every migration reverted');
  t.same(await tables(), [], 'no table left after rolling everything back');

  await migrateToLatest(db);
  t.same(await tables(), created, 'the same tables after going up again');
});
