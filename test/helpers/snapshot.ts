import { sql } from 'kysely';
import type { Database } from '../../src/db/index.ts';

/**
 * One digest per table of the schema (migration bookkeeping included): equal snapshots mean no row anywhere was
 * added, removed or changed, whatever table a new area adds.
 */
export async function snapshotAllTables(db: Database): Promise<Record<string, string>> {
  const tables = await sql<{ name: string }>`
    select table_name as name from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`.execute(db);
  const snapshot: Record<string, string> = {};
  for (const { name } of tables.rows) {
    const row = await sql<{ digest: string | null; n: number }>`
      select md5(string_agg(t::text, '|' order by t::text)) as digest, count(*)::int as n
      from ${sql.table(name)} as t`.execute(db);
    snapshot[name] = `${row.rows[0]?.n}:${row.rows[0]?.digest ?? ''}`;
  }
  return snapshot;
}
