import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Config } from '../config/index.ts';
import type { Database } from '../db/index.ts';
import { AppError, unauthorized } from '../errors/index.ts';
import type { TokenSigner, TokenSubject } from './signer.ts';
import {
  deleteDeadRefreshTokens,
  findRefreshToken,
  findUserById,
  insertRefreshToken,
  revokeRefreshFamily,
  spendRefreshToken,
} from './queries.ts';

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
  db: Database,
  config: Config,
  signer: TokenSigner,
  user: TokenSubject,
): Promise<TokenPair> {
  await deleteDeadRefreshTokens(db, user.id);
  const refresh = await issueRefreshToken(db, config, user.id, randomUUID());
  return { access: signer.access(user), refresh };
}

const INVALID_REFRESH = 'invalid, expired or revoked refresh token';

/**
 * Spends a refresh token and returns a new pair in the same family, with the role read afresh from the
 * database (a role change shows from the next refresh on). A token that was already spent revokes its family.
 */
export async function rotateRefreshToken(
  db: Database,
  config: Config,
  signer: TokenSigner,
  token: string,
): Promise<TokenPair> {
  const tokenHash = hashRefreshToken(token);
  const next = await db.transaction().execute(async (trx) => {
    const spent = await spendRefreshToken(trx, tokenHash);
    if (!spent) return undefined;
    const user = await findUserById(trx, spent.user_id);
    if (!user) return undefined;
    if (!user.active) throw new AppError('account_disabled', 'this account is disabled');
    return { user, refresh: await issueRefreshToken(trx, config, user.id, spent.family_id) };
  });
  if (!next) return rejectRefresh(db, tokenHash);
  return { access: signer.access(next.user), refresh: next.refresh };
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
