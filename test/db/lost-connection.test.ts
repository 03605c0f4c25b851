// A connection that dies inside a transaction: Kysely's ROLLBACK then fails on the dead client with pg's own
// "not queryable" error, which replaces the query's. Whichever error the caller gets, it must read as the database
// being unavailable (503), never as an unhandled failure (500).
import { sql } from 'kysely';
import pg from 'pg';
import t from 'tap';
import { createDatabase } from '../../src/db/index.ts';
import { isDatabaseUnavailable } from '../../src/errors/unavailable.ts';

const url = process.env.DATABASE_URL;
if (!url) {
  t.plan(0, 'DATABASE_URL is not set: PGlite has no connection to lose');
} else {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  t.teardown(() => admin.end());

  for (const preparedStatements of [true, false]) {
    t.test(`a transaction whose connection is cut (prepared statements ${preparedStatements})`, async (t) => {
      const { db } = createDatabase({ databaseUrl: url, dataDir: 'unused', poolSize: 2, preparedStatements });
      t.teardown(() => db.destroy());
      const failure = await db
        .transaction()
        .execute(async (trx) => {
          const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
          await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
          // The server closes the session; the client hears of it a moment later.
          await new Promise((resolve) => setTimeout(resolve, 200));
          await sql`select 1`.execute(trx);
        })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      t.ok(failure instanceof Error, 'the transaction fails');
      t.ok(isDatabaseUnavailable(failure), `answered as unavailable: ${(failure as Error).message}`);
      const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db);
      t.same(rows, [{ one: 1 }], 'the pool opens a new connection for the next query');
    });
  }
}
