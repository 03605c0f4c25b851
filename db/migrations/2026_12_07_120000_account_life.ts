import { type Kysely, sql } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are frozen in time and never use the app's types
export async function up(db: Kysely<any>): Promise<void> {
  // Everything a request checks about its user lives on the users row, so the one per-request read (and any
  // cache of it invalidated by changes to that row) carries it.
  await sql`alter table users add column active boolean not null default true`.execute(db);
  // Tokens carry the generation they were signed in (claim `gen`); raising it refuses every older access token
  // at once, with no clock in the comparison (an iat against now() would depend on every replica's clock).
  await sql`alter table users add column token_generation integer not null default 0`.execute(db);
  // The last-admin rule locks the active admins; this keeps finding them cheap however many users there are.
  await sql`create index users_active_admins_idx on users (id) where role = 'admin' and active`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index users_active_admins_idx`.execute(db);
  await sql`alter table users drop column token_generation`.execute(db);
  await sql`alter table users drop column active`.execute(db);
}
