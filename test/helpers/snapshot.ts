import { sql } from 'kysely';
import type { Database } from '../../src/db/index.ts';

const queries = new WeakMap<Database, Promise<string>>();

/** One select that digests every table of the schema, so a snapshot costs one round trip. */
async function digestQuery(db: Database): Promise<string> {
  const tables = await sql<{ name: string }>`
    select table_name as name from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`.execute(db);
  const columns = tables.rows.map(({ name }) => {
    const table = `"${name.replaceAll('"', '""')}"`;
    const literal = `'${name.replaceAll("'", "''")}'`;
    return `${literal}, (select count(*) || ':' || coalesce(md5(string_agg(t::text, '|' order by t::text)), '') from ${table} as t)`;
  });
  return `select json_build_object(${columns.join(', ')}) as snapshot`;
}

/**
 * One digest per table of the schema (migration bookkeeping included): equal snapshots mean no row anywhere was
 * added, removed or changed, whatever table a new area adds.
 */
export async function snapshotAllTables(db: Database): Promise<Record<string, string>> {
  let query = queries.get(db);
  if (!query) {
    query = digestQuery(db);
    queries.set(db, query);
  }
  const result = await sql<{ snapshot: Record<string, string> | string }>`${sql.raw(await query)}`.execute(db);
  const snapshot = result.rows[0]?.snapshot ?? {};
  return typeof snapshot === 'string' ? JSON.parse(snapshot) : snapshot;
}
