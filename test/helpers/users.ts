import type { FastifyInstance } from 'fastify';
import type { Role } from '../../src/auth/permissions.ts';
import type { Database } from '../../src/db/index.ts';
import { signedToken } from './app.ts';

let sequence = 0;

/**
 * A user row for tests that need one (authors, owners); its password hash is a placeholder nobody can log in
 * with — tests of logging in register through the API instead.
 */
export async function createUser(
  app: FastifyInstance,
  db: Database,
  options: { role?: Role; username?: string; email?: string | null } = {},
): Promise<{ id: number; username: string; role: Role; token: string }> {
  sequence += 1;
  const role = options.role ?? 'member';
  const username = options.username ?? `${role}-${process.pid}-${sequence}`;
  const row = await db
    .insertInto('users')
    .values({ username, email: options.email ?? null, password_hash: 'placeholder:not-a-hash', role })
    .returning(['id'])
    .executeTakeFirstOrThrow();
  return { id: row.id, username, role, token: signedToken(app, role, row.id, username) };
}
