import { sql } from 'kysely';
import type { Database } from '../db/index.ts';
import type { Role } from './permissions.ts';
import type { UserRow } from './queries.ts';

/**
 * Locks every active admin's row until the transaction ends and returns their ids. Whoever would remove an
 * admin takes these locks first, so two such changes run one after the other and the second sees the first.
 */
export async function lockActiveAdmins(db: Database): Promise<number[]> {
  const rows = await db
    .selectFrom('users')
    .select('id')
    .where('role', '=', 'admin')
    .where('active', '=', true)
    .orderBy('id')
    .forUpdate()
    .execute();
  return rows.map((row) => row.id);
}

export function lockUser(db: Database, id: number): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export function updateUserAccess(
  db: Database,
  id: number,
  change: { role?: Role | undefined; active?: boolean | undefined },
): Promise<UserRow> {
  return db
    .updateTable('users')
    .set({
      ...(change.role === undefined ? {} : { role: change.role }),
      ...(change.active === undefined ? {} : { active: change.active }),
      // Disabling ends every session: after enabling, the user signs in again.
      ...(change.active === false ? { token_generation: sql<number>`token_generation + 1` } : {}),
      updated_at: sql<Date>`now()`,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A new password ends every session: older access tokens are refused from now on. */
export async function replacePassword(db: Database, id: number, passwordHash: string): Promise<void> {
  await db
    .updateTable('users')
    .set({
      password_hash: passwordHash,
      token_generation: sql<number>`token_generation + 1`,
      updated_at: sql<Date>`now()`,
    })
    .where('id', '=', id)
    .execute();
}

export async function revokeUserRefreshTokens(db: Database, userId: number): Promise<void> {
  await db
    .updateTable('refresh_tokens')
    .set({ revoked_at: sql<Date>`now()` })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .execute();
}

/** Refresh tokens, collections and messages go with the user (their foreign keys cascade). */
export async function deleteUser(db: Database, id: number): Promise<void> {
  await db.deleteFrom('users').where('id', '=', id).execute();
}
