import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, PostgresDialect, sql } from 'kysely';
import type { Test } from 'tap';
import { createDatabase, createPool, type Database, type Notifications } from '../../src/db/index.ts';
import { MIGRATIONS_DIR, migrateToLatest } from '../../src/db/migrate.ts';
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
 * A new PostgreSQL database next to the one `adminUrl` names (the benchmark uses it too), empty or a copy of
 * `template`: its connection string, and `drop`, which ends its connections and removes it.
 */
export async function createScratchDatabase(
  adminUrl: string,
  prefix: string,
  template?: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const admin = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: createPool(adminUrl, 1) }) });
  if (template) await sql`create database ${sql.id(name)} template ${sql.id(template)}`.execute(admin);
  else await sql`create database ${sql.id(name)}`.execute(admin);
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

/**
 * The migrations' fingerprint (with PGlite's version, whose data folders it reads): a template made from other
 * migrations is never used, and a changed migration makes a new one.
 */
const MIGRATIONS_HASH = (() => {
  const hash = createHash('sha256');
  hash.update(readFileSync(new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url)));
  for (const file of readdirSync(MIGRATIONS_DIR).sort()) {
    hash.update(file).update(readFileSync(join(MIGRATIONS_DIR, file)));
  }
  return hash.digest('hex').slice(0, 16);
})();

/**
 * A migrated PGlite data folder, dumped once and loaded by every test file: booting and migrating an empty PGlite
 * costs each file seconds, loading the dump a fraction of that. Kept in the temporary folder under the migrations'
 * fingerprint; written to a file of its own and renamed, so a file running at the same time reads a whole dump or
 * makes its own.
 */
async function pgliteTemplate(): Promise<Blob> {
  const path = join(tmpdir(), `marquee-pglite-template-${MIGRATIONS_HASH}.tar`);
  if (!existsSync(path)) {
    const pglite = new PGlite('memory://');
    const db = new Kysely<DB>({ dialect: new PGliteDialect({ pglite }) });
    try {
      await migrateToLatest(db);
      const dump = await pglite.dumpDataDir('none');
      const partial = `${path}.${process.pid}-${randomUUID()}`;
      writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
      renameSync(partial, path);
    } finally {
      await db.destroy();
      if (!pglite.closed) await pglite.close();
    }
  }
  return new Blob([readFileSync(path)]);
}

/**
 * A migrated PostgreSQL database to copy (CREATE DATABASE … TEMPLATE): copying is faster than running every
 * migration. Made once per set of migrations, under an advisory lock, so parallel files wait for the first.
 */
async function postgresTemplate(adminUrl: string): Promise<string> {
  const name = `marquee_template_${MIGRATIONS_HASH}`;
  const admin = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: createPool(adminUrl, 1) }) });
  try {
    await admin.connection().execute(async (connection) => {
      await sql`select pg_advisory_lock(hashtext(${name}))`.execute(connection);
      try {
        const found = await sql`select 1 from pg_database where datname = ${name}`.execute(connection);
        if (found.rows.length > 0) return;
        const scratch = await createScratchDatabase(adminUrl, 'template_');
        const { db } = createDatabase({ databaseUrl: scratch.url, dataDir: 'memory://', poolSize: 1 });
        try {
          await migrateToLatest(db);
        } finally {
          await db.destroy();
        }
        const scratchName = new URL(scratch.url).pathname.slice(1);
        await sql`alter database ${sql.id(scratchName)} rename to ${sql.id(name)}`.execute(connection);
      } finally {
        await sql`select pg_advisory_unlock(hashtext(${name}))`.execute(connection);
      }
    });
  } finally {
    await admin.destroy();
  }
  return name;
}

/** A fresh, migrated database that only this test file uses, dropped in teardown. */
export async function createTestDatabase(
  t: Test,
  options: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  const migrate = options.migrate !== false;
  const adminUrl = process.env.DATABASE_URL;
  let url: string | undefined;
  if (adminUrl) {
    const template = migrate ? await postgresTemplate(adminUrl) : undefined;
    const scratch = await createScratchDatabase(adminUrl, 'test_', template);
    url = scratch.url;
    t.teardown(scratch.drop);
  }
  const { db, engine, notifications } = createDatabase({
    databaseUrl: url,
    dataDir: 'memory://',
    poolSize: 20,
    pgliteTemplate: !adminUrl && migrate ? await pgliteTemplate() : undefined,
  });
  // Registered after the drop above, so it runs first: tap runs teardowns in reverse order.
  t.teardown(() => db.destroy());
  // Kysely closes only a database it has used: a PGlite that a file never queried would keep the file running.
  await sql`select 1`.execute(db);
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
