import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import { FileMigrationProvider, type MigrationResultSet, Migrator } from 'kysely/migration';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../db/migrations', import.meta.url));

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against any schema, not the app's types
function migrator(db: Kysely<any>): Migrator {
  return new Migrator({
    db,
    provider: new FileMigrationProvider({ fs, path, migrationFolder: MIGRATIONS_DIR }),
  });
}

function check(result: MigrationResultSet): MigrationResultSet {
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    const cause = result.error instanceof Error ? result.error.message : String(result.error);
    throw new Error(`migration ${failed?.migrationName ?? '(setup)'} failed: ${cause}`, {
      cause: result.error,
    });
  }
  return result;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see migrator()
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResultSet> {
  return check(await migrator(db).migrateToLatest());
}

/** Undo the newest migration, or all of them with `all`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see migrator()
export async function rollback(db: Kysely<any>, all = false): Promise<MigrationResultSet> {
  const m = migrator(db);
  if (!all) return check(await m.migrateDown());
  const { NO_MIGRATIONS } = await import('kysely/migration');
  return check(await m.migrateTo(NO_MIGRATIONS));
}
