import { type Kysely, sql } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are frozen in time and never use the app's types
export async function up(db: Kysely<any>): Promise<void> {
  // No foreign keys: an event outlives the accounts it names (a deletion is itself an event).
  await sql`
    create table audit_events (
      id bigint generated always as identity primary key,
      at timestamptz not null default now(),
      action text not null,
      actor_id integer,
      actor text,
      target_id integer,
      target text,
      request_id text,
      address text,
      before jsonb,
      after jsonb
    )`.execute(db);
  await sql`create index audit_events_at_idx on audit_events (at)`.execute(db);
  // Append-only: rows change only through the retention purge, which marks its own transaction.
  await sql`
    create function audit_events_append_only() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE' and current_setting('marquee.audit_purge', true) = 'on' then
        return old;
      end if;
      raise exception 'audit_events is append-only' using errcode = '42501';
    end
    $$`.execute(db);
  await sql`create trigger audit_events_no_change before update or delete on audit_events
    for each row execute function audit_events_append_only()`.execute(db);
  await sql`create trigger audit_events_no_truncate before truncate on audit_events
    for each statement execute function audit_events_append_only()`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table audit_events`.execute(db);
  await sql`drop function audit_events_append_only()`.execute(db);
}
