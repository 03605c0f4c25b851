import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { DB } from './types.ts';

export type Database = Kysely<DB>;

export interface DatabaseOptions {
  databaseUrl: string | undefined;
  /** PGlite data folder; `memory://` keeps it in memory (tests). */
  dataDir: string;
  poolSize?: number;
  onIdleError?: (error: Error) => void;
}

const INT8 = 20;
const DATE = 1082;

// COUNT(*) and bigint arrive as strings by default, and DATE would become a local-midnight Date object:
// the API speaks integers and "YYYY-MM-DD", so both engines parse them the same way.
const parseInt8 = (value: string) => Number(value);
const keepDate = (value: string) => value;

export function createPool(
  connectionString: string,
  max = 10,
  onIdleError: (error: Error) => void = () => {},
): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max,
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
} {
  if (options.databaseUrl) {
    const pool = createPool(options.databaseUrl, options.poolSize, options.onIdleError);
    return { db: new Kysely<DB>({ dialect: new PostgresDialect({ pool }) }), engine: 'postgres', pool };
  }
  if (!options.dataDir.startsWith('memory://')) mkdirSync(options.dataDir, { recursive: true });
  const pglite = new PGlite(options.dataDir, { parsers: { [INT8]: parseInt8, [DATE]: keepDate } });
  return { db: new Kysely<DB>({ dialect: new PGliteDialect({ pglite }) }), engine: 'pglite' };
}
