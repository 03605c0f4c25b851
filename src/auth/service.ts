import type { components } from '../../generated/api.d.ts';
import type { Config } from '../config/index.ts';
import type { Database } from '../db/index.ts';
import { badRequest, AppError, notFound, unauthorized } from '../errors/index.ts';
import { type Abandoned, hashPassword, needsRehash, passwordProblem, verifyPassword } from './passwords.ts';
import { type Actor, audit } from './audit.ts';
import { permissionsOf, type Role } from './permissions.ts';
import {
  countUsers,
  findUserByEmail,
  findUserById,
  findUserByUsername,
  insertUser,
  listUsers as listUserRows,
  type UserFilter,
  type UserRow,
  uniqueViolation,
  updatePasswordHash,
} from './queries.ts';
import type { TokenSigner } from './signer.ts';
import { issueTokenPair, type TokenPair } from './tokens.ts';

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
    active: row.active,
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

type NewUserValues = Parameters<typeof insertUser>[1];

/** The row to insert: a weak or over-long password is refused before any hashing. */
async function prepareAccount(config: Config, account: NewAccount, abandoned?: Abandoned): Promise<NewUserValues> {
  const problem = passwordProblem(account.password, config.passwordMinLength);
  if (problem) throw badRequest('invalid body', [{ field: 'password', message: problem }]);
  return {
    username: account.username.trim(),
    email: account.email?.trim() || null,
    password_hash: await hashPassword(account.password, undefined, abandoned),
    first_name: account.first_name ?? '',
    last_name: account.last_name ?? '',
    role: account.role ?? 'member',
  };
}

/** A username or email already taken, as the database's unique indexes decide (concurrent registrations of one name cannot both win). */
async function insertAccount(db: Database, values: NewUserValues): Promise<UserRow> {
  try {
    return await insertUser(db, values);
  } catch (error) {
    const taken = uniqueViolation(error);
    if (taken === 'username') throw new AppError('username_taken', 'username already taken');
    if (taken === 'email') throw new AppError('email_taken', 'email already in use');
    throw error;
  }
}

/** Creates a user, or refuses a weak or over-long password, or a username or email already taken. */
export async function createAccount(
  db: Database,
  config: Config,
  account: NewAccount,
  abandoned?: Abandoned,
): Promise<UserRow> {
  return insertAccount(db, await prepareAccount(config, account, abandoned));
}

/** Registration that signs in at once: the account and its first refresh token are written in one transaction. */
export async function registerWithTokens(
  db: Database,
  config: Config,
  signer: TokenSigner,
  account: NewAccount,
  abandoned?: Abandoned,
): Promise<TokenPair> {
  const values = await prepareAccount(config, account, abandoned);
  return db.transaction().execute(async (trx) => issueTokenPair(trx, config, signer, await insertAccount(trx, values)));
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
export async function listUsers(
  db: Database,
  filter: UserFilter,
  page: { limit: number; offset: number; afterId: number },
) {
  const [users, total] = await Promise.all([
    listUserRows(db, filter, { ...page, limit: page.limit + 1 }),
    countUsers(db, filter),
  ]);
  return { users, total };
}

/** One answer for an unknown user and a wrong password: nothing tells which it was. */
const BAD_CREDENTIALS = 'invalid credentials';

export interface SignInAttempt<R extends boolean> {
  login: { username: string } | { email: string };
  password: string;
  /** Whether to start a refresh token family too (the users-api-flask login returns an access token only). */
  refresh: R;
}

export type SignIn<R extends boolean> = { user: UserRow; access: string } & (R extends true
  ? { refresh: string }
  : unknown);

/**
 * Signs a user in, or refuses with one 401 for an unknown user and a wrong password (the same work is done either
 * way, so neither the answer nor its timing tells them apart), and with 403 for a disabled account's right
 * password. Each attempt leaves one audit event with the address.
 */
export async function signIn<R extends boolean>(
  db: Database,
  config: Config,
  signer: TokenSigner,
  attempt: SignInAttempt<R>,
  actor: Actor,
  abandoned?: Abandoned,
): Promise<SignIn<R>> {
  const { login, password } = attempt;
  const user =
    'username' in login
      ? await findUserByUsername(db, login.username.trim())
      : await findUserByEmail(db, login.email.trim());
  const ok = await verifyPassword(password, user?.password_hash, abandoned);
  const target = user && { id: user.id, username: user.username };
  if (!ok || !user) {
    // An unknown name is not stored: people type passwords into the username field.
    await audit(db, actor, { action: 'sign_in_failed', target, after: { reason: 'invalid_credentials' } });
    throw unauthorized(BAD_CREDENTIALS);
  }
  if (!user.active) {
    await audit(db, actor, { action: 'sign_in_failed', target, after: { reason: 'account_disabled' } });
    throw new AppError('login_disabled', 'this account is disabled');
  }
  if (needsRehash(user.password_hash)) await updatePasswordHash(db, user.id, await hashPassword(password));
  await audit(db, { ...actor, id: user.id, name: user.username }, { action: 'signed_in', target });
  if (!attempt.refresh) return { user, access: signer.access(user) } as SignIn<R>;
  return { user, ...(await issueTokenPair(db, config, signer, user)) };
}

