import { createHash } from 'node:crypto';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, PostgresDialect } from 'kysely';
import pg from 'pg';
import { acquiring, markConnectionLost } from '../errors/unavailable.ts';
import { lockDataFolder, socketPath } from './lock.ts';
import { type NotificationHandler, serveOnSocket } from './socket.ts';
import type { DB } from './types.ts';

export type Database = Kysely<DB>;

/**
 * Where a process hears the database's NOTIFYs: PostgreSQL on a connection of its own (opened by the listener,
 * src/auth/user-changes.ts); PGlite in its one session, where a listener is called as the notifying commit
 * returns, whether the commit was the process's own or a socket client's.
 */
export type Notifications =
  | { engine: 'postgres'; url: string }
  | {
      engine: 'pglite';
      listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
    };

export interface DatabaseOptions {
  databaseUrl: string | undefined;
  /** Where LISTEN connects (PostgreSQL only), when not databaseUrl: a session pooler or PostgreSQL itself. */
  listenUrl?: string | undefined;
  /** PGlite data folder; `memory://` keeps it in memory (tests). */
  dataDir: string;
  poolSize?: number;
  /** Send data queries as named prepared statements (PostgreSQL only; see PreparingClient). Default true. */
  preparedStatements?: boolean;
  onIdleError?: (error: Error) => void;
  /** An in-memory PGlite starts from this dump of a data folder (PGlite's dumpDataDir) instead of an empty one. */
  pgliteTemplate?: Blob;
}

const INT8 = 20;
const DATE = 1082;

// COUNT(*) and bigint arrive as strings by default, and DATE would become a local-midnight Date object:
// the API speaks integers and "YYYY-MM-DD", so both engines parse them the same way.
const parseInt8 = (value: string) => Number(value);
const keepDate = (value: string) => value;

/** Data queries only: DDL, BEGIN/COMMIT and the like run once or are trivial to parse. */
const PREPARABLE = /^\s*(select|insert|update|delete|with)\b/i;
/**
 * Each prepared statement stays on its connection until the connection closes: the first this-many distinct SQL
 * texts of the process are prepared (the hot ones come early and often), later ones run unnamed. Kysely writes an
 * `in (...)` list with one parameter per item, so the count of texts is bounded but can be large.
 */
const MAX_PREPARED = 500;
const statementNames = new Map<string, string>();
/** 0A000 "cached plan must not change result type": a `select *` after a column was added under it. */
const PLAN_CHANGED = '0A000';

function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < MAX_PREPARED && PREPARABLE.test(text)) {
    name = `k${createHash('sha1').update(text).digest('base64url')}`;
    statementNames.set(text, name);
  }
  return name;
}

const plainQuery = pg.Client.prototype.query;

/** Clients whose connection died: whatever their queries fail with from then on is the loss. */
const dead = new WeakSet<pg.Client>();

function marking<T>(client: pg.Client, result: T): T {
  if (!(result instanceof Promise)) return result;
  return result.catch((error: unknown) => {
    if (dead.has(client)) markConnectionLost(error);
    throw error;
  }) as T;
}

/**
 * A query sent on a connection already lost fails with its own "not queryable" error, not the one the connection
 * died of: Kysely's ROLLBACK after a transaction's failed query does, and its error replaces the query's. Marked
 * as the loss it is, it is answered 503 like the query's own.
 */
class LosableClient extends pg.Client {}
LosableClient.prototype.query = function query(this: pg.Client, ...args: unknown[]) {
  return marking(this, (plainQuery as (...a: unknown[]) => unknown).apply(this, args));
} as typeof plainQuery;

/**
 * PostgreSQL would parse, analyse and plan every query again; named by a hash of its SQL, a query is parsed once
 * per connection and then only bound and executed (pg sends the same text unnamed otherwise). Only the promise
 * form Kysely uses is named; PGlite is untouched.
 *
 * A statement whose result columns changed under it (a migration added a column to a `selectAll` table while the
 * service ran: a rolling deploy) fails with 0A000 on every connection that prepared it, for good. So it is renamed
 * for every connection, and outside a transaction it is run again at once under the new name: PostgreSQL refused it
 * before executing anything, so the caller never sees the error. Inside a transaction the error aborts the
 * transaction, and the caller gets it; the transaction's next attempt prepares the statement afresh.
 *
 * Poolers: PgBouncer in session mode is fine; in transaction mode it needs PgBouncer >= 1.21 with
 * max_prepared_statements set, otherwise turn this off (DB_PREPARED_STATEMENTS=false).
 */
class PreparingClient extends LosableClient {}
PreparingClient.prototype.query = function query(this: pg.Client, ...args: unknown[]) {
  const [text, values, callback] = args;
  const name = typeof text === 'string' && callback === undefined ? statementName(text) : undefined;
  if (name === undefined) return LosableClient.prototype.query.apply(this, args as Parameters<typeof plainQuery>);
  return marking(this, runNamed(this, name, text as string, values as unknown[]));
} as typeof plainQuery;

const namedQuery = plainQuery as (this: pg.Client, config: pg.QueryConfig) => Promise<pg.QueryResult>;
/** Names are never reused: pg forgets a failed statement's name, but the server keeps the statement. */
let renames = 0;

async function runNamed(client: pg.Client, name: string, text: string, values: unknown[]) {
  try {
    return await namedQuery.call(client, { name, text, values });
  } catch (error) {
    if ((error as { code?: string }).code !== PLAN_CHANGED) throw error;
    // Another connection may have renamed it already.
    if (statementNames.get(text) === name) {
      renames += 1;
      statementNames.set(text, `${name.split('~', 1)[0]}~${renames}`);
    }
    // 'I': no transaction was open, so nothing is aborted and nothing ran.
    if (client.getTransactionStatus() !== 'I') throw error;
    return namedQuery.call(client, { name: statementNames.get(text)!, text, values });
  }
}

/**
 * A pool whose failures to open or hand out a connection are DatabaseUnavailableErrors, and whose connections
 * mark the error they die of: src/errors/unavailable.ts answers both as 503, whatever PostgreSQL said.
 */
class Pool extends pg.Pool {
  constructor(config: pg.PoolConfig) {
    super(config);
    this.on('connect', (client) =>
      client.on('error', (error) => {
        dead.add(client);
        markConnectionLost(error);
      }),
    );
  }
}
Pool.prototype.connect = function connect(this: pg.Pool, ...args: unknown[]) {
  const plain = pg.Pool.prototype.connect as (...a: unknown[]) => Promise<pg.PoolClient>;
  // Kysely awaits the promise form; a callback is pg-pool's own business.
  if (args.length > 0) return plain.apply(this, args);
  return acquiring(() => plain.apply(this, []));
} as typeof pg.Pool.prototype.connect;

export function createPool(
  connectionString: string,
  max = 10,
  onIdleError: (error: Error) => void = () => {},
  preparedStatements = false,
): pg.Pool {
  const pool = new Pool({
    connectionString,
    max,
    Client: preparedStatements ? PreparingClient : LosableClient,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
        if (oid === INT8) return parseInt8;
        if (oid === DATE) return keepDate;
        return pg.types.getTypeParser(oid, format);
      }) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection can be cut (server restart, pg_terminate_backend, DROP DATABASE … FORCE); the pool drops
  // that client and opens another on demand, but an 'error' event without a listener would crash the process.
  pool.on('error', onIdleError);
  return pool;
}

export function createDatabase(options: DatabaseOptions): {
  db: Database;
  engine: 'postgres' | 'pglite';
  pool?: pg.Pool;
  notifications: Notifications;
} {
  if (options.databaseUrl) {
    const pool = createPool(
      options.databaseUrl,
      options.poolSize,
      options.onIdleError,
      options.preparedStatements ?? true,
    );
    return {
      db: new Kysely<DB>({ dialect: new PostgresDialect({ pool }) }),
      engine: 'postgres',
      pool,
      notifications: { engine: 'postgres', url: options.listenUrl ?? options.databaseUrl },
    };
  }
  if (options.dataDir.startsWith('memory://')) {
    const pglite = new PGlite(options.dataDir, { ...pgliteOptions(), loadDataDir: options.pgliteTemplate });
    return {
      db: new Kysely<DB>({ dialect: new PGliteDialect({ pglite }) }),
      engine: 'pglite',
      notifications: { engine: 'pglite', listen: (channel, callback) => pglite.listen(channel, callback) },
    };
  }
  const db = new OwnedFolderDatabase(options.dataDir);
  return {
    db,
    engine: 'pglite',
    notifications: { engine: 'pglite', listen: (channel, callback) => db.listen(channel, callback) },
  };
}

/**
 * PostgreSQL's 128 MB of shared buffers are most of an idle PGlite's memory (docs/embedded-database.md has the
 * figures); 16 MB hold this service's working set. Durability: a commit returns once its WAL is written to the
 * folder's files (synchronous_commit on; relaxedDurability, which lets PGlite return before syncing its
 * filesystem, stays off), so a 2xx survives the process being killed. PGlite runs PostgreSQL with fsync off:
 * an operating-system crash or power loss can still lose the last commits.
 */
function pgliteOptions(): PGliteOptions {
  return {
    parsers: { [INT8]: parseInt8, [DATE]: keepDate },
    startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'],
  };
}

/** Folders this process has open: a second PGlite on one folder, even in one process, corrupts it. */
const openFolders = new Set<string>();

/**
 * A PGlite data folder, opened only under its lock (lock.ts) and served to other processes on a Unix socket
 * (socket.ts) while open. Opened at once and closed by destroy() even if no query ever ran (Kysely itself only
 * closes a database it has used).
 */
class OwnedFolderDatabase extends Kysely<DB> {
  readonly #dataDir: string;
  readonly #release: () => void;
  readonly #ready: Promise<{ pglite: PGlite; stopServing: () => Promise<void> }>;
  readonly #socketListeners: Set<NotificationHandler>;

  constructor(dataDir: string) {
    if (openFolders.has(dataDir)) throw new Error(`data folder ${dataDir} is already open in this process`);
    const release = lockDataFolder(dataDir);
    openFolders.add(dataDir);
    const socketListeners = new Set<NotificationHandler>();
    const ready = (async () => {
      const pglite = new PGlite(dataDir, pgliteOptions());
      await pglite.waitReady;
      const relay: NotificationHandler = (channel, payload) => {
        for (const listener of socketListeners) listener(channel, payload);
      };
      return { pglite, stopServing: await serveOnSocket(pglite, socketPath(dataDir), relay) };
    })();
    // Reported by the first query, which awaits it.
    ready.catch(() => {});
    super({ dialect: new PGliteDialect({ pglite: () => acquiring(async () => (await ready).pglite) }) });
    this.#dataDir = dataDir;
    this.#release = release;
    this.#ready = ready;
    this.#socketListeners = socketListeners;
  }

  /** pglite.listen, and the same channel's NOTIFYs from socket clients' commits (the CLI beside the server). */
  async listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>> {
    const { pglite } = await this.#ready;
    const fromSocket: NotificationHandler = (name, payload) => {
      if (name === channel) callback(payload);
    };
    this.#socketListeners.add(fromSocket);
    const unlisten = await pglite.listen(channel, callback);
    return async () => {
      this.#socketListeners.delete(fromSocket);
      if (!pglite.closed) await unlisten();
    };
  }

  override async destroy(): Promise<void> {
    try {
      const { pglite, stopServing } = await this.#ready;
      // Clients first: one holding its turn would keep PGlite from closing.
      await stopServing();
      await super.destroy();
      if (!pglite.closed) await pglite.close();
    } finally {
      openFolders.delete(this.#dataDir);
      this.#release();
    }
  }
}
