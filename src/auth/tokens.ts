import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/index.ts';
import type { Database } from '../db/index.ts';
import { unauthorized } from '../errors/index.ts';
import { permissionsOf, type Role } from './permissions.ts';
import {
  deleteDeadRefreshTokens,
  findRefreshToken,
  findUserById,
  insertRefreshToken,
  revokeRefreshFamily,
  spendRefreshToken,
} from './queries.ts';

export interface TokenSubject {
  id: number;
  username: string;
  role: Role;
}

/** An access JWT: sub, username, role, permissions, and iat/exp/iss/aud from the @fastify/jwt registration. */
export function signAccessToken(app: FastifyInstance, user: TokenSubject): string {
  return app.jwt.sign({
    sub: String(user.id),
    username: user.username,
    role: user.role,
    permissions: permissionsOf(user.role),
  });
}

export interface TokenPair {
  access: string;
  refresh: string;
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/** Opaque and random: nothing to decode, only its SHA-256 is stored. */
async function issueRefreshToken(
  db: Database,
  config: Config,
  userId: number,
  familyId: string,
): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await insertRefreshToken(db, {
    user_id: userId,
    family_id: familyId,
    token_hash: hashRefreshToken(token),
    expires_at: new Date(Date.now() + config.jwt.refreshTtlSeconds * 1000),
  });
  return token;
}

/** A new login: an access token and the first refresh token of a new family. */
export async function issueTokenPair(
  app: FastifyInstance,
  db: Database,
  config: Config,
  user: TokenSubject,
): Promise<TokenPair> {
  await deleteDeadRefreshTokens(db, user.id);
  const refresh = await issueRefreshToken(db, config, user.id, randomUUID());
  return { access: signAccessToken(app, user), refresh };
}

const INVALID_REFRESH = 'invalid, expired or revoked refresh token';

/**
 * Spends a refresh token and returns a new pair in the same family, with the role read afresh from the
 * database (a role change shows from the next refresh on). A token that was already spent revokes its family.
 */
export async function rotateRefreshToken(
  app: FastifyInstance,
  db: Database,
  config: Config,
  token: string,
): Promise<TokenPair> {
  const tokenHash = hashRefreshToken(token);
  const next = await db.transaction().execute(async (trx) => {
    const spent = await spendRefreshToken(trx, tokenHash);
    if (!spent) return undefined;
    const user = await findUserById(trx, spent.user_id);
    if (!user) return undefined;
    return { user, refresh: await issueRefreshToken(trx, config, user.id, spent.family_id) };
  });
  if (!next) return rejectRefresh(db, tokenHash);
  return { access: signAccessToken(app, next.user), refresh: next.refresh };
}

/** Revokes the token's family (log out); unknown, expired, revoked or spent tokens are a 401. */
export async function revokeRefreshToken(db: Database, token: string): Promise<void> {
  const tokenHash = hashRefreshToken(token);
  const spent = await spendRefreshToken(db, tokenHash);
  if (!spent) return rejectRefresh(db, tokenHash);
  await revokeRefreshFamily(db, spent.family_id);
}

async function rejectRefresh(db: Database, tokenHash: string): Promise<never> {
  const known = await findRefreshToken(db, tokenHash);
  if (known?.used_at && !known.revoked_at && !known.expired) {
    // A spent token came back: whoever holds the family's newest token may be a thief, or the thief is here.
    await revokeRefreshFamily(db, known.family_id);
    throw unauthorized('refresh token already used; every token of this login has been revoked');
  }
  throw unauthorized(INVALID_REFRESH);
}
