// The running server and a socket client share PGlite's one session by taking turns: neither's statements ever
// run inside the other's transaction, and a client that leaves mid-transaction is rolled back.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import pg from 'pg';
import t from 'tap';
import { createDatabase, type Database } from '../../src/db/index.ts';
import { socketDir } from '../../src/db/lock.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';

const count = async (db: Database, username: string) =>
  Number((await sql<{ n: number }>`select count(*) as n from users where username = ${username}`.execute(db)).rows[0]!.n);

const insert = (username: string) =>
  `insert into users (username, password_hash, role) values ('${username}', 'x', 'member')`;

/** Resolves 'answered' if `promise` settles within a moment, else 'waiting' (it is left running). */
const settledSoon = (promise: Promise<unknown>) =>
  Promise.race([promise.then(() => 'answered' as const), sleep(500).then(() => 'waiting' as const)]);

t.test('server transactions and socket clients take turns', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'marquee-turns-'));
  const { db } = createDatabase({ databaseUrl: undefined, dataDir });
  t.teardown(() => db.destroy());
  await migrateToLatest(db);
  const client = async () => {
    const c = new pg.Client({ host: socketDir(dataDir), port: 5432, user: 'postgres', database: 'postgres' });
    await c.connect();
    return c;
  };

  // The server's transaction: a client's query waits for it and never sees its uncommitted row.
  const reader = await client();
  t.teardown(() => reader.end());
  let clientSaw: Promise<number> | undefined;
  let raced: string | undefined;
  await t.rejects(
    db.transaction().execute(async (tx) => {
      await sql.raw(insert('server-ghost')).execute(tx);
      clientSaw = reader
        .query<{ n: string }>(`select count(*) as n from users where username = 'server-ghost'`)
        .then((r) => Number(r.rows[0]!.n));
      raced = await settledSoon(clientSaw);
      throw new Error('roll back');
    }),
    /roll back/,
  );
  t.equal(raced, 'waiting', "the client's query waits for the server's transaction");
  t.equal(await clientSaw, 0, "and runs after it, outside it: the rolled-back row is not there");

  // A client's transaction: the server's queries wait for it and never join it.
  const writer = await client();
  await writer.query('begin');
  await writer.query(insert('client-ghost'));
  const serverSaw = count(db, 'client-ghost');
  t.equal(await settledSoon(serverSaw), 'waiting', "the server's query waits for the client's transaction");
  await writer.query('rollback');
  t.equal(await serverSaw, 0, 'and does not see the rolled-back row');

  // A client gone mid-transaction is rolled back, and the server carries on.
  await writer.query('begin');
  await writer.query(insert('abandoned'));
  await writer.end();
  t.equal(await count(db, 'abandoned'), 0, "an abandoned client's transaction is rolled back");

  // Committed work from both sides is all there.
  await sql.raw(insert('from-server')).execute(db);
  await reader.query(`begin; ${insert('from-client')}; commit`);
  t.equal(await count(db, 'from-server'), 1);
  t.equal(await count(db, 'from-client'), 1);
});
