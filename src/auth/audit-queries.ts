import { type Insertable, type Selectable, sql } from 'kysely';
import type { Database } from '../db/index.ts';
import type { AuditEventsTable } from './tables.ts';

export type AuditRow = Selectable<AuditEventsTable>;
export type NewAuditEvent = Insertable<AuditEventsTable>;

export async function insertAuditEvent(db: Database, event: NewAuditEvent): Promise<void> {
  await db.insertInto('audit_events').values(event).execute();
}

export function listAuditEvents(db: Database, limit: number, offset: number): Promise<AuditRow[]> {
  return db
    .selectFrom('audit_events')
    .selectAll()
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .offset(offset)
    .execute();
}

export async function countAuditEvents(db: Database): Promise<number> {
  const row = await db
    .selectFrom('audit_events')
    .select(sql<number>`count(*)::int`.as('n'))
    .executeTakeFirstOrThrow();
  return row.n;
}

/** Deletes events older than the retention; the only delete the table's trigger lets through. */
export function purgeAuditEvents(db: Database, retentionDays: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await sql`select set_config('marquee.audit_purge', 'on', true)`.execute(trx);
    const result = await trx
      .deleteFrom('audit_events')
      .where('at', '<', sql<Date>`now() - make_interval(days => ${retentionDays})`)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  });
}
