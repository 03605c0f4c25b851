import { createHmac } from 'node:crypto';
import type { Config } from '../config/index.ts';
import { permissionsOf, type Role } from './permissions.ts';

export interface TokenSubject {
  id: number;
  username: string;
  role: Role;
  /** The user's token generation when signing (users.token_generation); a later one refuses this token. */
  token_generation?: number;
}

/** Signs this service's access tokens; plain, so a command can sign without building the app. */
export interface TokenSigner {
  access(user: TokenSubject): string;
}

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

/**
 * HS256 JWTs with sub, username, role, permissions, gen, iat, exp, iss and aud: what src/auth/plugin.ts's
 * verifier requires. A few lines of node:crypto, where a JWT library would be a dependency for one call.
 */
export function createTokenSigner(jwt: Config['jwt'], now: () => number = Date.now): TokenSigner {
  return {
    access(user) {
      const iat = Math.floor(now() / 1000);
      const payload = {
        sub: String(user.id),
        username: user.username,
        role: user.role,
        permissions: permissionsOf(user.role),
        gen: user.token_generation ?? 0,
        iat,
        exp: iat + jwt.accessTtlSeconds,
        iss: jwt.issuer,
        aud: jwt.audience,
      };
      const input = `${HEADER}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
      return `${input}.${createHmac('sha256', jwt.secret).update(input).digest('base64url')}`;
    },
  };
}
