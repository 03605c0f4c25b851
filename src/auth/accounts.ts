import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config/index.ts';
import type { Database } from '../db/index.ts';
import { checkPrecondition, type Precondition } from '../conditional/tags.ts';
import { AppError, badRequest, notFound, unauthorized } from '../errors/index.ts';
import {
  deleteUser,
  lockActiveAdmins,
  lockUser,
  replacePassword,
  revokeUserRefreshTokens,
  updateUserAccess,
} from './account-queries.ts';
import { type Actor, audit } from './audit.ts';
import { type Abandoned, hashPassword, passwordProblem, verifyPassword } from './passwords.ts';
import type { Role } from './permissions.ts';
import { findUserById, findUserByUsername, makeActiveAdmin, type UserRow } from './queries.ts';
import { createAccount, toUser } from './service.ts';

export interface AccessChange {
  role?: Role | undefined;
  active?: boolean | undefined;
}

const LAST_ADMIN = 'the last active admin cannot be disabled, demoted or deleted';

/**
 * Runs `change` on user `id` in one transaction. A change that may remove an admin (`removesAdmin`) first locks
 * every active admin's row, always in id order, so such changes run one at a time and each counts the admins
 * the one before it left: two admins demoting each other at the same moment cannot both succeed.
 */
async function withTarget<T>(
  db: Database,
  id: number,
  removesAdmin: boolean,
  change: (trx: Database, target: UserRow) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    const admins = removesAdmin ? await lockActiveAdmins(trx) : [];
    const target = await lockUser(trx, id);
    if (!target) throw notFound(`user ${id} not found`);
    if (removesAdmin && admins.includes(target.id) && admins.length <= 1) {
      throw new AppError('last_admin', LAST_ADMIN);
    }
    return change(trx, target);
  });
}

/**
 * An admin sets a user's role and whether it is active; one audit event per value that changed. With an If-Match,
 * only while the user, locked, still has that tag.
 */
export function changeAccess(
  db: Database,
  actor: Actor,
  id: number,
  change: AccessChange,
  precondition?: Precondition,
): Promise<UserRow> {
  const removesAdmin = (change.role !== undefined && change.role !== 'admin') || change.active === false;
  return withTarget(db, id, removesAdmin, async (trx, before) => {
    if (precondition !== undefined) checkPrecondition(precondition, toUser(before));
    const after = await updateUserAccess(trx, id, change);
    const target = { id, username: after.username };
    if (after.role !== before.role) {
      await audit(trx, actor, { action: 'role_changed', target, before: { role: before.role }, after: { role: after.role } });
    }
    if (after.active !== before.active) {
      // Disabling ends every session: the refresh tokens go with the access tokens (token_generation).
      if (!after.active) await revokeUserRefreshTokens(trx, id);
      await audit(trx, actor, {
        action: after.active ? 'enabled' : 'disabled',
        target,
        before: { active: before.active },
        after: { active: after.active },
      });
    }
    return after;
  });
}

/** Deletes a user with their refresh tokens, collections and messages; the username and email are free again. */
export function removeAccount(db: Database, actor: Actor, id: number): Promise<void> {
  return withTarget(db, id, true, async (trx, target) => {
    await deleteUser(trx, id);
    await audit(trx, actor, {
      action: 'deleted',
      target: { id, username: target.username },
      before: { role: target.role, active: target.active },
    });
  });
}

async function checkPassword(user: UserRow, password: string, abandoned?: Abandoned): Promise<void> {
  if (!(await verifyPassword(password, user.password_hash, abandoned))) throw unauthorized('wrong password');
}

/** The user deletes their own account, confirming with their password. */
export async function removeOwnAccount(db: Database, actor: Actor, password: string, abandoned?: Abandoned) {
  const user = await findUserById(db, actor.id ?? 0);
  if (!user) throw unauthorized('the user of this token no longer exists');
  await checkPassword(user, password, abandoned);
  await removeAccount(db, actor, user.id);
}

/** The registration rules, checked before any hashing. */
function requireGoodPassword(config: Config, password: string, field: string): void {
  const problem = passwordProblem(password, config.passwordMinLength);
  if (problem) throw badRequest('invalid body', [{ field, message: problem }]);
}

/**
 * A new password: every refresh token family of the user is revoked and access tokens issued before are refused
 * at once (token_generation), which makes this "sign out everywhere" too.
 */
async function setPassword(db: Database, actor: Actor, user: UserRow, password: string) {
  const hash = await hashPassword(password);
  await db.transaction().execute(async (trx) => {
    await replacePassword(trx, user.id, hash);
    await revokeUserRefreshTokens(trx, user.id);
    await audit(trx, actor, { action: 'password_changed', target: { id: user.id, username: user.username } });
  });
}

export async function changeOwnPassword(
  db: Database,
  config: Config,
  actor: Actor,
  passwords: { current_password: string; new_password: string },
  abandoned?: Abandoned,
): Promise<void> {
  const user = await findUserById(db, actor.id ?? 0);
  if (!user) throw unauthorized('the user of this token no longer exists');
  requireGoodPassword(config, passwords.new_password, 'new_password');
  await checkPassword(user, passwords.current_password, abandoned);
  await setPassword(db, actor, user, passwords.new_password);
}

/** The operator's commands (scripts/users.ts) act on a username. */
async function byName(db: Database, username: string): Promise<UserRow> {
  const user = await findUserByUsername(db, username.trim());
  if (!user) throw notFound(`no user "${username}"`);
  return user;
}

export const operatorCommands = {
  async disable(db: Database, actor: Actor, username: string) {
    return changeAccess(db, actor, (await byName(db, username)).id, { active: false });
  },
  async enable(db: Database, actor: Actor, username: string) {
    return changeAccess(db, actor, (await byName(db, username)).id, { active: true });
  },
  async delete(db: Database, actor: Actor, username: string) {
    const user = await byName(db, username);
    await removeAccount(db, actor, user.id);
    return user;
  },
  async setPassword(db: Database, config: Config, actor: Actor, username: string, password: string) {
    requireGoodPassword(config, password, 'password');
    const user = await byName(db, username);
    await setPassword(db, actor, user, password);
    return user;
  },
};

/** Who sets the admin's password from the environment, in the audit trail. */
const ADMIN_PASSWORD_ACTOR: Actor = { id: null, name: 'ADMIN_PASSWORD', requestId: null, address: null };

/**
 * ADMIN_USERNAME/ADMIN_PASSWORD at start-up: the user exists, is an admin, and logs in with that password.
 * Idempotent, so every process of a cluster may run it.
 */
export async function ensureAdmin(
  db: Database,
  config: Config,
  log: FastifyBaseLogger,
): Promise<UserRow | undefined> {
  if (!config.admin) return undefined;
  const { username, password } = config.admin;
  const problem = passwordProblem(password, config.passwordMinLength);
  if (problem) throw new Error(`ADMIN_PASSWORD ${problem}`);
  let user = await findUserByUsername(db, username);
  if (!user) {
    try {
      user = await createAccount(db, config, { username, password, role: 'admin' });
      log.info({ userId: user.id, username: user.username }, 'admin user created');
      return user;
    } catch (error) {
      // Another process of the cluster created it first.
      if (!(error instanceof AppError && error.code === 'username_taken')) throw error;
      user = await findUserByUsername(db, username);
      if (!user) throw error;
    }
  }
  if (user.role !== 'admin' || !user.active) {
    user = (await makeActiveAdmin(db, user.id)) ?? user;
    log.info({ userId: user.id, username: user.username }, 'user is an active admin');
  }
  if (!(await verifyPassword(password, user.password_hash))) {
    // A new password like any other: the sessions of whoever knew the old one end.
    await setPassword(db, ADMIN_PASSWORD_ACTOR, user, password);
    log.info({ userId: user.id, username: user.username }, 'admin password set from ADMIN_PASSWORD');
  }
  return user;
}
