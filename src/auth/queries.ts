import { type Insertable, type Selectable, sql } from 'kysely';
import type { Database } from '../db/index.ts';
import { compiledOnce } from '../db/compiled.ts';
import { exactCount } from '../db/row-counts.ts';
import type { Role } from './permissions.ts';
import type { RefreshTokensTable, UsersTable } from './tables.ts';

export type UserRow = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;

export function findUserById(db: Database, id: number): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The user, locked against any change until commit. */
export function lockUser(db: Database, id: number): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

/** What every authenticated request checks about its user, all of it on the users row. */
export interface UserState {
  role: Role;
  active: boolean;
  token_generation: number;
}

// Every authenticated request needs this (the token's user must exist, be active, with its current role and
// token generation): one primary-key lookup, compiled once (src/db/compiled.ts), whose row src/auth/user-states.ts
// caches as it is. Columns that decide whether a token is honoured belong here, and ride along in the cache.
const userState = compiledOnce(
  (db: Database, id: number) =>
    db.selectFrom('users').select(['role', 'active', 'token_generation']).where('id', '=', id),
  [1] as [number],
);

export async function findUserState(db: Database, id: number): Promise<UserState | undefined> {
  return (await userState(db, id))[0];
}

/** Case-insensitive, with the database's own lower() on both sides so the unique index is what decides. */
function findUserByLowered(
  db: Database,
  column: 'username' | 'email',
  value: string,
): Promise<UserRow | undefined> {
  return db
    .selectFrom('users')
    .selectAll()
    .where(sql`lower(${sql.ref(column)})`, '=', sql`lower(${value})`)
    .executeTakeFirst();
}

export const findUserByUsername = (db: Database, username: string) => findUserByLowered(db, 'username', username);
export const findUserByEmail = (db: Database, email: string) => findUserByLowered(db, 'email', email);

export function insertUser(db: Database, user: NewUser): Promise<UserRow> {
  return db.insertInto('users').values(user).returningAll().executeTakeFirstOrThrow();
}

/** Which unique index a failed insert hit: the database, not a pre-check, settles concurrent registrations. */
export function uniqueViolation(error: unknown): 'username' | 'email' | undefined {
  const { code, constraint } = (error ?? {}) as { code?: string; constraint?: string };
  if (code !== '23505') return undefined;
  if (constraint === 'users_username_lower_key') return 'username';
  if (constraint === 'users_email_lower_key') return 'email';
  return undefined;
}

export interface UserFilter {
  role?: Role | undefined;
  active?: boolean | undefined;
  usernamePrefix?: string | undefined;
}

function filtered(db: Database, filter: UserFilter) {
  let query = db.selectFrom('users');
  if (filter.role !== undefined) query = query.where('role', '=', filter.role);
  if (filter.active !== undefined) query = query.where('active', '=', filter.active);
  if (filter.usernamePrefix !== undefined) {
    // The prefix is matched literally: LIKE's own wildcards in it are escaped.
    const escaped = filter.usernamePrefix.replace(/[\\%_]/g, (c) => `\\${c}`);
    query = query.where(sql`lower(username)`, 'like', sql`lower(${escaped}) || '%'`);
  }
  return query;
}

const unfiltered = (filter: UserFilter) =>
  filter.role === undefined && filter.active === undefined && filter.usernamePrefix === undefined;

/** Oldest first, by offset or after an id (ids start at 1, so `afterId` 0 keeps every row). */
export function listUsers(
  db: Database,
  filter: UserFilter,
  page: { limit: number; offset: number; afterId: number },
): Promise<UserRow[]> {
  return filtered(db, filter)
    .selectAll()
    .where('id', '>', page.afterId)
    .orderBy('id')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
}

export async function countUsers(db: Database, filter: UserFilter = {}): Promise<number> {
  if (unfiltered(filter)) return exactCount(db, 'users');
  const row = await filtered(db, filter).select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
  return row.n;
}

/** ADMIN_USERNAME's user at start-up: an admin, and enabled. */
export function makeActiveAdmin(db: Database, id: number): Promise<UserRow | undefined> {
  return db
    .updateTable('users')
    .set({ role: 'admin', active: true, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

export async function updatePasswordHash(db: Database, id: number, passwordHash: string): Promise<void> {
  await db
    .updateTable('users')
    .set({ password_hash: passwordHash, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .execute();
}

export async function insertRefreshToken(
  db: Database,
  token: Pick<Insertable<RefreshTokensTable>, 'user_id' | 'family_id' | 'token_hash' | 'expires_at'>,
): Promise<void> {
  await db.insertInto('refresh_tokens').values(token).execute();
}

/**
 * Marks a live token spent and returns it; undefined when it is unknown, spent, revoked or expired. One UPDATE,
 * so two concurrent refreshes with the same token cannot both succeed.
 */
export function spendRefreshToken(
  db: Database,
  tokenHash: string,
): Promise<{ user_id: number; family_id: string } | undefined> {
  return db
    .updateTable('refresh_tokens')
    .set({ used_at: sql<Date>`now()` })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .returning(['user_id', 'family_id'])
    .executeTakeFirst();
}

export function findRefreshToken(db: Database, tokenHash: string) {
  return db
    .selectFrom('refresh_tokens')
    .select(['family_id', 'used_at', 'revoked_at', sql<boolean>`expires_at <= now()`.as('expired')])
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
}

/** Revokes every live token of a family; returns how many were live. */
export async function revokeRefreshFamily(db: Database, familyId: string): Promise<number> {
  const result = await db
    .updateTable('refresh_tokens')
    .set({ revoked_at: sql<Date>`now()` })
    .where('family_id', '=', familyId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function deleteDeadRefreshTokens(db: Database, userId: number): Promise<void> {
  await db
    .deleteFrom('refresh_tokens')
    .where('user_id', '=', userId)
    .where((eb) => eb.or([eb('expires_at', '<=', sql<Date>`now()`), eb('revoked_at', 'is not', null)]))
    .execute();
}
