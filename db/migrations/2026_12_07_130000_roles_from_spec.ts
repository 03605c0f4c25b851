import { type Kysely, sql } from 'kysely';

/**
 * The roles are the spec's `Role` enum, with their permissions in its `x-permissions`: a role added there works
 * without a code change, so the database no longer keeps its own list of them (every write of a role is checked
 * against the spec's enum before it reaches the table). It still refuses what cannot be a role's name.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are frozen in time and never use the app's types
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table users drop constraint users_role_check`.execute(db);
  await sql`alter table users add constraint users_role_name check (role ~ '^[a-z][a-z0-9_]{0,62}$')`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table users drop constraint users_role_name`.execute(db);
  await sql`
    alter table users add constraint users_role_check
    check (role in ('member', 'casting_assistant', 'casting_director', 'executive_producer', 'admin'))`.execute(db);
}
