import { randomUUID } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import type { Test } from 'tap';
import { createDatabase, createPool, type Database, type Notifications } from '../../src/db/index.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import type { DB } from '../../src/db/types.ts';

export interface TestDatabase {
  db: Database;
  engine: 'postgres' | 'pglite';
  /** Connection string of this file's own database (PostgreSQL only), for extra server processes. */
  url: string | undefined;
  /** How an app hears this database's NOTIFYs (the user-state cache listens on them). */
  notifications: Notifications;
}

/**
 * A new, empty PostgreSQL database next to the one `adminUrl` names (the benchmark uses it too): its connection
 * string, and `drop`, which ends its connections and removes it.
 */
export async function createScratchDatabase(
  adminUrl: string,
  prefix: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const admin = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: createPool(adminUrl, 1) }) });
  await sql`create database ${sql.id(name)}`.execute(admin);
  const parsed = new URL(adminUrl);
  parsed.pathname = `/${name}`;
  const drop = async () => {
    try {
      await sql`drop database if exists ${sql.id(name)} with (force)`.execute(admin);
    } finally {
      await admin.destroy();
    }
  };
  return { url: parsed.toString(), drop };
}

/** A fresh, migrated database that only this test file uses, dropped in teardown. */
export async function createTestDatabase(
  t: Test,
  options: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  const adminUrl = process.env.DATABASE_URL;
  let url: string | undefined;
  if (adminUrl) {
    const scratch = await createScratchDatabase(adminUrl, 'test_');
    url = scratch.url;
    t.teardown(scratch.drop);
  }
  const { db, engine, notifications } = createDatabase({ databaseUrl: url, dataDir: 'memory://', poolSize: 20 });
  // Registered after the drop above, so it runs first: tap runs teardowns in reverse order.
  t.teardown(() => db.destroy());
  if (options.migrate !== false) await migrateToLatest(db);
  return { db, engine, url, notifications };
}

/** How many rows `table` holds: compared before and after a request that must write nothing. */
export async function rowCount(db: Database, table: keyof DB): Promise<number> {
  const row = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
