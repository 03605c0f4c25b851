import type { FastifyInstance } from 'fastify';
import { permissionsOf } from './permissions.ts';

export interface TokenSubject {
  id: number;
  username: string;
  role: string;
}

export function signAccessToken(app: FastifyInstance, user: TokenSubject): string {
  return app.jwt.sign({
    sub: String(user.id),
    username: user.username,
    role: user.role,
    permissions: permissionsOf(user.role),
  });
}
