/**
 * Named prepared statements on PostgreSQL (src/db/index.ts): what the server holds after a query, the switch that
 * turns them off for poolers that cannot keep them, and a `select *` surviving a column added under it.
 */
import { sql } from 'kysely';
import t from 'tap';
import { loadConfig } from '../../src/config/index.ts';
import { createDatabase } from '../../src/db/index.ts';
import { createTestDatabase } from '../helpers/database.ts';

if (!process.env.DATABASE_URL) {
  t.plan(0, 'skipped: prepared statements are a PostgreSQL feature (PGlite runs every query as sent)');
} else {
  const { url } = await createTestDatabase(t, { migrate: false });

  type Gadgets = { gadgets: { id: number; name: string; colour?: string } };
  /** One connection, so every query of a test sees the same session's prepared statements. */
  const open = (preparedStatements?: boolean) => {
    const { db } = createDatabase({ databaseUrl: url, dataDir: '', poolSize: 1, preparedStatements });
    t.teardown(() => db.destroy());
    return db.withTables<Gadgets>();
  };
  const prepared = async (db: ReturnType<typeof open>) => {
    const { rows } = await sql<{ name: string; statement: string }>`
      select name, statement from pg_prepared_statements order by statement`.execute(db);
    return rows;
  };

  const setup = open(false);
  await sql`create table gadgets (id int primary key, name text not null)`.execute(setup);
  await sql`insert into gadgets values (1, 'lamp'), (2, 'kettle')`.execute(setup);

  t.test('a data query becomes a statement named by its SQL, prepared once per connection', async (t) => {
    const db = open();
    const query = db.selectFrom('gadgets').select(['id', 'name']).where('id', '=', 2);
    const text = query.compile().sql;
    t.same(await query.execute(), [{ id: 2, name: 'kettle' }]);
    t.same(await query.execute(), [{ id: 2, name: 'kettle' }], 'a second run answers the same');
    const statements = (await prepared(db)).filter((row) => row.statement === text);
    t.equal(statements.length, 1, 'one prepared statement for the two runs');
    t.match(statements[0]?.name, /^k[\w-]{27}$/, 'named k + the SHA-1 of the text');
  });

  t.test('DDL and transaction control run unnamed', async (t) => {
    const db = open();
    await db.transaction().execute(async (trx) => {
      await sql`create temporary table scratch (n int)`.execute(trx);
    });
    const statements = (await prepared(db)).map((row) => row.statement.toLowerCase());
    t.notOk(
      statements.some((text) => /^(begin|commit|create)/.test(text)),
      `only data queries are prepared: ${JSON.stringify(statements)}`,
    );
  });

  t.test('DB_PREPARED_STATEMENTS=false sends every query unnamed', async (t) => {
    const off = loadConfig({ DATA_DIR: 'memory://', DB_PREPARED_STATEMENTS: 'false' }).config;
    t.equal(off.dbPreparedStatements, false);
    t.equal(loadConfig({ DATA_DIR: 'memory://' }).config.dbPreparedStatements, true, 'on by default');
    const db = open(false);
    const lamp = await db.selectFrom('gadgets').select('name').where('id', '=', 1).execute();
    t.same(lamp, [{ name: 'lamp' }]);
    t.same(await prepared(db), [], 'nothing prepared on the server');
  });

  t.test('a select * whose table gained a column is prepared afresh, without an error outside a transaction', async (t) => {
    const db = open();
    const one = (id: number) => db.selectFrom('gadgets').selectAll().where('id', '=', id);
    t.same(await one(1).execute(), [{ id: 1, name: 'lamp' }]);
    const before = (await prepared(db)).length;
    await sql`alter table gadgets add column colour text not null default 'red'`.execute(setup);
    t.same(await one(1).execute(), [{ id: 1, name: 'lamp', colour: 'red' }], 'the new column, no error');
    t.same(await one(2).execute(), [{ id: 2, name: 'kettle', colour: 'red' }], 'and so for the next run');
    t.equal((await prepared(db)).length, before + 1, 'prepared once more, under a new name');

    await sql`alter table gadgets add column size int not null default 1`.execute(setup);
    await t.rejects(
      db.transaction().execute((trx) => trx.selectFrom('gadgets').selectAll().where('id', '=', 1).execute()),
      { code: '0A000' },
      'inside a transaction the error aborts it and reaches the caller',
    );
    t.same(
      await db.transaction().execute((trx) => trx.selectFrom('gadgets').selectAll().where('id', '=', 1).execute()),
      [{ id: 1, name: 'lamp', colour: 'red', size: 1 }],
      'the transaction run again prepares it afresh',
    );
  });
}
