import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are frozen in time and never use the app's types
export async function up(db: Kysely<any>): Promise<void> {
  // The headers a replay repeats (Location, ETag), as a JSON object; null for answers stored before.
  await db.schema.alterTable('idempotency_keys').addColumn('response_headers', 'text').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('idempotency_keys').dropColumn('response_headers').execute();
}
