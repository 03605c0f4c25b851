// A NOTIFY committed by a socket client (the CLI beside the running server) reaches the server's own listeners,
// as one committed by the server does: the user-state cache hears every change, whoever made it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import t from 'tap';
import { USER_CHANGED_CHANNEL } from '../../src/auth/user-changes.ts';
import { createDatabase } from '../../src/db/index.ts';
import { socketDir } from '../../src/db/lock.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';

t.test("socket clients' commits notify the server's listeners, when they commit", async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'marquee-notify-'));
  const { db, notifications } = createDatabase({ databaseUrl: undefined, dataDir });
  t.teardown(() => db.destroy());
  await migrateToLatest(db);
  t.equal(notifications.engine, 'pglite');
  if (notifications.engine !== 'pglite') return;
  const heard: string[] = [];
  const unlisten = await notifications.listen(USER_CHANGED_CHANNEL, (payload) => heard.push(payload));

  const { id } = (
    await sql<{ id: number }>`insert into users (username, password_hash) values ('own', 'x') returning id`.execute(db)
  ).rows[0]!;
  t.same(heard, [String(id)], "the server's own insert is heard as it returns");

  const client = new pg.Client({ host: socketDir(dataDir), port: 5432, user: 'postgres', database: 'postgres' });
  await client.connect();
  t.teardown(() => client.end());
  await client.query('begin');
  await client.query(`update users set role = 'admin' where id = ${id}`);
  t.same(heard, [String(id)], 'nothing before the commit');
  await client.query('commit');
  t.same(heard, [String(id), String(id)], "the client's update is heard as its commit returns");
  await client.query('begin');
  await client.query(`delete from users where id = ${id}`);
  await client.query('rollback');
  t.same(heard, [String(id), String(id)], 'a rolled-back change notifies nobody');
  await client.query(`delete from users where id = ${id}`);
  t.same(heard, [String(id), String(id), String(id)], 'a delete is heard');

  await sql`truncate users cascade`.execute(db);
  t.same(heard.at(-1), '', 'a truncate notifies without an id: everything is dropped');

  await unlisten();
  await sql`update users set role = 'member'`.execute(db);
  t.equal(heard.length, 4, 'nothing after unlisten');
});
