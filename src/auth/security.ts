import type { FastifyInstance, FastifyRequest } from 'fastify';
import { forbidden, unauthorized } from '../errors/index.ts';

export interface AuthUser {
  id: number;
  username: string;
  role: string;
  permissions: string[];
}

export interface AccessTokenPayload {
  sub: string;
  username: string;
  role: string;
  permissions: string[];
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: AccessTokenPayload;
    user: AuthUser;
  }
}

const BEARER = /^bearer\s+(\S+)\s*$/i;

/** The bearer token of a request, whatever the case of the scheme word (the all-stars seed sends `bearer`). */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  return BEARER.exec(header)?.[1];
}

export async function authenticate(app: FastifyInstance, request: FastifyRequest): Promise<AuthUser> {
  const token = bearerToken(request);
  if (!token) throw unauthorized('authentication required');
  let payload: AccessTokenPayload;
  try {
    payload = await app.jwt.verify<AccessTokenPayload>(token);
  } catch {
    throw unauthorized('invalid or expired token');
  }
  const id = Number(payload.sub);
  if (!Number.isInteger(id) || !Array.isArray(payload.permissions))
    throw unauthorized('invalid or expired token');
  return { id, username: payload.username, role: payload.role, permissions: payload.permissions };
}

/** fastify-openapi-glue security handlers, one per scheme; the spec's scopes are the permissions required. */
export function createSecurityHandlers(app: FastifyInstance) {
  return {
    async bearerAuth(request: FastifyRequest, _reply: unknown, scopes: string[]): Promise<void> {
      const user = await authenticate(app, request);
      request.user = user;
      const missing = scopes.filter((scope) => !user.permissions.includes(scope));
      if (missing.length > 0) throw forbidden(`missing permission: ${missing.join(', ')}`);
    },
  };
}
