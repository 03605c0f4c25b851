import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config/index.ts';
import { AppError, forbidden, retryAfter, unauthorized } from '../errors/index.ts';
import { permissionsOf, type Role } from './permissions.ts';
import { createJwksClient, type JwksClient, JwksUnavailableError } from './jwks.ts';

export interface AuthUser {
  /**
   * The user's id; 0 for a token of the external identity provider, whose subject (`auth0|abc`) has no row
   * here: such callers are `username` = that subject and may use only permission-scoped operations.
   */
  id: number;
  username: string;
  role: Role | typeof EXTERNAL_ROLE;
  permissions: string[];
}

/** `id` of an external identity provider's user (no user row). */
export const EXTERNAL_USER_ID = 0;
/** `role` of an external identity provider's user: its permissions come from the token, not from a role. */
export const EXTERNAL_ROLE = 'external' as const;

export interface AccessTokenPayload {
  sub: string;
  username: string;
  role: string;
  permissions: string[];
  /** The token generation it was signed in (absent in tokens from before generations: 0). */
  gen?: number;
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: AccessTokenPayload;
    user: AuthUser;
  }
}

const BEARER = /^bearer\s+(\S+)\s*$/i;
const INVALID = 'invalid or expired token';

/** The bearer token of a request, whatever the case of the scheme word (the all-stars seed sends `bearer`). */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  return BEARER.exec(header)?.[1];
}

function tokenHeader(token: string): { alg?: unknown; kid?: unknown } {
  try {
    const header = JSON.parse(Buffer.from(token.split('.', 1)[0] ?? '', 'base64url').toString('utf8'));
    return header !== null && typeof header === 'object' ? header : {};
  } catch {
    return {};
  }
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/** How far apart this server's clock and the signer's may be (exp and iat). */
export const CLOCK_LEEWAY_MS = 30_000;
/** Claims a Marquee access token must carry; a token without exp would never expire. */
export const REQUIRED_CLAIMS = ['sub', 'iat', 'exp', 'iss', 'aud'];

/** A user id as the token's `sub` must carry it: canonical decimal, within PostgreSQL's integer. */
const SUBJECT = /^[1-9][0-9]{0,9}$/;
const MAX_ID = 2_147_483_647;

/**
 * The token's signature and claims (exp, iss, aud required; see the @fastify/jwt registration), then its user,
 * read from the users row through the user-state cache (src/auth/user-states.ts, within its staleness bound): a deleted or disabled user's token is refused, so is one signed before the
 * user's last password change or disabling (an older `gen`), and privileges follow the user's current role.
 */
async function verifyLocal(app: FastifyInstance, token: string): Promise<AuthUser> {
  let payload: AccessTokenPayload;
  try {
    payload = app.jwt.verify<AccessTokenPayload>(token);
  } catch {
    throw unauthorized(INVALID);
  }
  const { iat, exp } = payload as { iat?: unknown; exp?: unknown };
  if (typeof iat !== 'number' || iat * 1000 > Date.now() + CLOCK_LEEWAY_MS) throw unauthorized(INVALID);
  // Signed with our key, but living longer than this server ever issues: a leaked key's forgery or an old bug.
  const longest = app.deps.config.jwt.accessTtlSeconds * 1000 + CLOCK_LEEWAY_MS;
  if (typeof exp !== 'number' || (exp - iat) * 1000 > longest) throw unauthorized(INVALID);
  const sub: unknown = payload.sub;
  if (typeof sub !== 'string' || !SUBJECT.test(sub) || Number(sub) > MAX_ID) throw unauthorized(INVALID);
  if (typeof payload.username !== 'string') throw unauthorized(INVALID);
  const id = Number(sub);
  const user = await app.deps.userStates.get(id);
  if (user === undefined) throw unauthorized('the user of this token no longer exists');
  if (!user.active) throw new AppError('account_disabled', 'this account is disabled');
  if ((payload.gen ?? 0) !== user.token_generation) throw unauthorized('token revoked (password changed or account disabled since): sign in again');
  return { id, username: payload.username, role: user.role, permissions: permissionsOf(user.role) };
}

async function verifyExternal(
  app: FastifyInstance,
  config: Config,
  jwks: JwksClient,
  token: string,
  kid: unknown,
): Promise<AuthUser> {
  if (typeof kid !== 'string') throw unauthorized(INVALID);
  let key: string | undefined;
  try {
    key = await jwks.publicKey(kid);
  } catch (error) {
    if (error instanceof JwksUnavailableError) {
      throw new AppError('dependency_unavailable', 'identity provider keys unavailable', {
        headers: retryAfter(30),
      });
    }
    throw error;
  }
  if (key === undefined) throw unauthorized(INVALID);
  let payload: { sub?: unknown; permissions?: unknown };
  try {
    payload = app.jwt.verify(token, {
      key,
      algorithms: ['RS256'],
      allowedIss: config.jwt.externalIssuer,
      allowedAud: config.jwt.externalAudience,
      requiredClaims: ['sub', 'exp'],
    });
  } catch {
    throw unauthorized(INVALID);
  }
  if (typeof payload.sub !== 'string' || payload.sub.length === 0) throw unauthorized(INVALID);
  if (!isStringArray(payload.permissions)) throw unauthorized('token carries no permissions claim');
  return {
    id: EXTERNAL_USER_ID,
    username: payload.sub,
    role: EXTERNAL_ROLE,
    permissions: payload.permissions,
  };
}

/**
 * Verifies a request's bearer token: Marquee's own HS256 tokens, and, when JWT_JWKS_URL is set, the external
 * provider's RS256 tokens (keys fetched from the JWKS URL and cached).
 */
export function createAuthenticator(
  app: FastifyInstance,
  config: Config,
): (request: FastifyRequest) => Promise<AuthUser> {
  const jwks = config.jwt.jwksUrl ? createJwksClient(config.jwt.jwksUrl, { log: app.log }) : undefined;
  return async (request) => {
    const token = bearerToken(request);
    if (!token) throw unauthorized('authentication required');
    // Only an external provider's token needs its header read before verifying.
    if (jwks) {
      const header = tokenHeader(token);
      if (header.alg === 'RS256') return verifyExternal(app, config, jwks, token, header.kid);
    }
    return verifyLocal(app, token);
  };
}

/** fastify-openapi-glue security handlers, one per scheme; the spec's scopes are the permissions required. */
export function createSecurityHandlers(app: FastifyInstance) {
  const authenticate = createAuthenticator(app, app.deps.config);
  return {
    async bearerAuth(request: FastifyRequest, _reply: unknown, scopes: string[]): Promise<void> {
      const user = await authenticate(request);
      // Operations without a scope act for a user of this service (owner, author): an outside identity has none.
      if (user.id === EXTERNAL_USER_ID && scopes.length === 0) {
        throw unauthorized('this operation needs a Marquee account; external tokens only grant permissions');
      }
      request.user = user;
      const missing = scopes.filter((scope) => !user.permissions.includes(scope));
      if (missing.length > 0) throw forbidden(`missing permission: ${missing.join(', ')}`);
    },
  };
}
