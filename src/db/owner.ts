import { ConstantBackoff, handleWhen, retry } from 'cockatiel';
import { Kysely, PostgresDialect } from 'kysely';
import { createDatabase, createPool, type Database, type DatabaseOptions } from './index.ts';
import { DataFolderBusyError, lockDataFolder, readOwner, SOCKET_PORT, socketDir } from './lock.ts';

/** How long a command tries to reach the process that holds the data folder. */
const REACH_OWNER_MS = 2000;

/** The busy error with the owner's pid and command filled in, and what to do about it. */
async function busy(error: DataFolderBusyError, advice: string): Promise<Error> {
  const owner = error.owner ?? (await readOwner(error.dataDir));
  return new Error(`${new DataFolderBusyError(error.dataDir, owner).message}: ${advice}`, { cause: error });
}

/**
 * For the server: holds the PGlite data folder for the rest of the process's life (opening it later, migrating
 * first and then serving, shares this hold), so a second server fails at once. Does nothing on PostgreSQL.
 */
export async function claimDataFolder(options: Pick<DatabaseOptions, 'databaseUrl' | 'dataDir'>): Promise<void> {
  if (options.databaseUrl || options.dataDir.startsWith('memory://')) return;
  try {
    lockDataFolder(options.dataDir);
  } catch (error) {
    if (!(error instanceof DataFolderBusyError)) throw error;
    throw await busy(error, 'stop that process first, or set DATA_DIR to another folder');
  }
}

/**
 * For the commands (users, demo, db:migrate): the server's database. On PostgreSQL, or a PGlite folder nobody
 * holds, it is opened as the server opens it. A folder another process holds is reached through that process's
 * socket, so what the command writes is the running server's data at once; if that fails within two seconds, the
 * error names the folder and the process. `direct` refuses to go through the owner (a rollback under a running
 * server would pull its tables away).
 */
export async function openDatabase(
  options: DatabaseOptions,
  { direct = false }: { direct?: boolean } = {},
): Promise<{ db: Database }> {
  try {
    return { db: createDatabase(options).db };
  } catch (error) {
    if (!(error instanceof DataFolderBusyError)) throw error;
    if (direct) throw await busy(error, 'stop it first');
    const url = new URL('postgres://postgres@localhost/postgres');
    url.searchParams.set('host', socketDir(error.dataDir));
    url.port = String(SOCKET_PORT);
    const pool = createPool(url.toString(), 1);
    pool.options.connectionTimeoutMillis = REACH_OWNER_MS;
    // Again until the deadline: an owner that has just taken the folder opens its socket once PGlite is up.
    const deadline = Date.now() + REACH_OWNER_MS;
    const untilDeadline = retry(
      handleWhen(() => Date.now() < deadline),
      { maxAttempts: Number.MAX_SAFE_INTEGER, backoff: new ConstantBackoff(100) },
    );
    try {
      await untilDeadline.execute(async () => (await pool.connect()).release());
    } catch (reason) {
      await pool.end();
      const cause = reason instanceof Error && reason.cause !== undefined ? reason.cause : reason;
      const why = cause instanceof Error ? cause.message : String(cause);
      throw await busy(error, `it does not answer on its socket (${why}); wait for it to finish, or stop it`);
    }
    return { db: new Kysely({ dialect: new PostgresDialect({ pool }) }) };
  }
}
