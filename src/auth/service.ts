import { checkPrecondition, type Precondition } from '../conditional/tags.ts';
import type { FastifyBaseLogger } from 'fastify';
import type { components } from '../../generated/api.d.ts';
import type { Config } from '../config/index.ts';
import type { Database } from '../db/index.ts';
import { badRequest, AppError, notFound } from '../errors/index.ts';
import type { UserStates } from './user-states.ts';
import { type Abandoned, hashPassword, needsRehash, passwordProblem, verifyPassword } from './passwords.ts';
import { permissionsOf, type Role } from './permissions.ts';
import {
  countUsers,
  findUserByEmail,
  findUserById,
  findUserByUsername,
  insertUser,
  listUsers as listUserRows,
  lockUser,
  type UserRow,
  uniqueViolation,
  updatePasswordHash,
  updateUserRole,
} from './queries.ts';

/** The API's `User` schema. */
export type User = components['schemas']['User'];

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    first_name: row.first_name,
    last_name: row.last_name,
    is_staff: row.role === 'admin',
    role: row.role as Role,
    permissions: permissionsOf(row.role),
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}

export interface NewAccount {
  username: string;
  password: string;
  email?: string | null | undefined;
  first_name?: string | undefined;
  last_name?: string | undefined;
  role?: Role | undefined;
}

/**
 * Creates a user, or refuses a weak or over-long password, or a username or email already taken (as the
 * database's unique indexes decide: concurrent registrations of one name cannot both win).
 */
export async function createAccount(
  db: Database,
  config: Config,
  account: NewAccount,
  abandoned?: Abandoned,
): Promise<UserRow> {
  const username = account.username.trim();
  const problem = passwordProblem(account.password, config.passwordMinLength);
  if (problem) throw badRequest('invalid body', [{ field: 'password', message: problem }]);
  const email = account.email?.trim() || null;
  const passwordHash = await hashPassword(account.password, undefined, abandoned);
  try {
    return await insertUser(db, {
      username,
      email,
      password_hash: passwordHash,
      first_name: account.first_name ?? '',
      last_name: account.last_name ?? '',
      role: account.role ?? 'member',
    });
  } catch (error) {
    const taken = uniqueViolation(error);
    if (taken === 'username') throw new AppError('username_taken', 'username already taken');
    if (taken === 'email') throw new AppError('email_taken', 'email already in use');
    throw error;
  }
}

/** The messages seed's registration by email: the username is the lower-cased email. */
export async function createEmailAccount(
  db: Database,
  config: Config,
  account: { email: string; password: string },
  abandoned?: Abandoned,
): Promise<UserRow> {
  const { email, password } = account;
  return createAccount(db, config, { username: email.trim().toLowerCase(), email, password }, abandoned).catch(
    (error: unknown) => {
      // The username is the email here, so either index taken means the email is.
      throw error instanceof AppError && error.code === 'username_taken'
        ? new AppError('email_taken', 'email already in use')
        : error;
    },
  );
}

export async function getUser(db: Database, id: number): Promise<UserRow> {
  const user = await findUserById(db, id);
  if (!user) throw notFound(`user ${id} not found`);
  return user;
}

/** `users` holds one row more than the page when another page follows. */
export async function listUsers(db: Database, page: { limit: number; offset: number; afterId: number }) {
  const [users, total] = await Promise.all([listUserRows(db, { ...page, limit: page.limit + 1 }), countUsers(db)]);
  return { users, total };
}

/**
 * Sets the role; with an If-Match, only while the user, locked, still has that tag. The new role takes effect in
 * this process from its next request (the cached state is dropped after the commit), and on the other replicas
 * within the cache's bound (the users table's trigger notifies them).
 */
export async function setRole(
  db: Database,
  userStates: UserStates,
  id: number,
  role: Role,
  precondition?: Precondition,
): Promise<UserRow> {
  const user = await db.transaction().execute(async (trx) => {
    if (precondition !== undefined) {
      const current = await lockUser(trx, id);
      if (!current) throw notFound(`user ${id} not found`);
      checkPrecondition(precondition, toUser(current));
    }
    return updateUserRole(trx, id, role);
  });
  userStates.forget(id);
  if (!user) throw notFound(`user ${id} not found`);
  return user;
}

/**
 * The user whose login and password these are, or undefined. The same work is done whether the user exists
 * or not, so neither the answer nor its timing tells the two apart.
 */
export async function checkCredentials(
  db: Database,
  login: { username: string } | { email: string },
  password: string,
  abandoned?: Abandoned,
): Promise<UserRow | undefined> {
  const user =
    'username' in login
      ? await findUserByUsername(db, login.username.trim())
      : await findUserByEmail(db, login.email.trim());
  const ok = await verifyPassword(password, user?.password_hash, abandoned);
  if (!ok || !user) return undefined;
  if (needsRehash(user.password_hash)) await updatePasswordHash(db, user.id, await hashPassword(password));
  return user;
}

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
  if (user.role !== 'admin') {
    user = (await updateUserRole(db, user.id, 'admin')) ?? user;
    log.info({ userId: user.id, username: user.username }, 'user promoted to admin');
  }
  if (!(await verifyPassword(password, user.password_hash))) {
    await updatePasswordHash(db, user.id, await hashPassword(password));
    log.info({ userId: user.id, username: user.username }, 'admin password set from ADMIN_PASSWORD');
  }
  return user;
}
