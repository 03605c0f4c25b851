import { type Kysely, sql } from 'kysely';

/**
 * Every change to a user row, from any code path (the API, the CLI, psql), tells each listening process which
 * user changed, so their cached auth states (src/auth/user-states.ts) are dropped without code having to
 * remember. The notification is sent when the writing transaction commits, and not at all if it rolls back.
 * INSERT too: a process may cache that a token's user does not exist. TRUNCATE, which fires no row trigger,
 * notifies without an id: every cached state is dropped.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are frozen in time and never use the app's types
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create function notify_user_changed() returns trigger language plpgsql as $$
    begin
      if tg_op = 'TRUNCATE' then
        perform pg_notify('marquee_user_changed', '');
      elsif tg_op = 'INSERT' then
        perform pg_notify('marquee_user_changed', new.id::text);
      else
        perform pg_notify('marquee_user_changed', old.id::text);
      end if;
      return null;
    end
    $$`.execute(db);
  await sql`
    create trigger users_notify_changed after insert or update or delete on users
    for each row execute function notify_user_changed()`.execute(db);
  await sql`
    create trigger users_notify_truncated after truncate on users
    for each statement execute function notify_user_changed()`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger users_notify_truncated on users`.execute(db);
  await sql`drop trigger users_notify_changed on users`.execute(db);
  await sql`drop function notify_user_changed()`.execute(db);
}
