import { type Kysely, sql, type Transaction } from 'kysely';
import type { DB } from './types.ts';

/** Tables whose totals triggers keep (db/migrations/2026_11_30_130010_maintained_counts.ts). */
export type CountedTable = 'users' | 'actors' | 'movies' | 'messages';

/**
 * A table's exact row count as the caller's snapshot sees it, without scanning the table: the triggers update
 * the counts in the same transactions as the rows.
 */
export async function exactCount(db: Kysely<DB> | Transaction<DB>, table: CountedTable): Promise<number> {
  const { rows } = await sql<{ total: number }>`
    select coalesce(sum(n), 0)::int as total from row_counts where table_name = ${table}`.execute(db);
  return rows[0]?.total ?? 0;
}
