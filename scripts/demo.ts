/**
 * `eval "$(npm run -s demo)"`: one demo user per role (fixed usernames, new random passwords on every run) and
 * their access tokens as shell exports, the casting seeds' ASSISTANT_JWT, DIRECTOR_JWT and PRODUCER_JWT among them.
 */

import { createAccount } from '../src/auth/service.ts';
import { hashPassword } from '../src/auth/passwords.ts';
import type { Role } from '../src/auth/permissions.ts';
import { updateUserAccess } from '../src/auth/account-queries.ts';
import { findUserByUsername, updatePasswordHash } from '../src/auth/queries.ts';
import type { Env } from '../src/config/index.ts';
import { describeError, generatePassword, type Print, withDatabase } from './users.ts';

export const DEMO_USERS: readonly { username: string; role: Role; variable: string }[] = [
  { username: 'demo-member', role: 'member', variable: 'MEMBER_JWT' },
  { username: 'demo-assistant', role: 'casting_assistant', variable: 'ASSISTANT_JWT' },
  { username: 'demo-director', role: 'casting_director', variable: 'DIRECTOR_JWT' },
  { username: 'demo-producer', role: 'executive_producer', variable: 'PRODUCER_JWT' },
  { username: 'demo-admin', role: 'admin', variable: 'ADMIN_JWT' },
];

export async function main(env: Env, print: Print, warn: Print = print): Promise<void> {
  await withDatabase(env, warn, async ({ db, config, signer }) => {
    print('# Marquee demo users; their passwords change on every run.');
    for (const demo of DEMO_USERS) {
      const password = generatePassword();
      let user = await findUserByUsername(db, demo.username);
      if (user) {
        await updatePasswordHash(db, user.id, await hashPassword(password));
        user = await updateUserAccess(db, user.id, { role: demo.role, active: true });
      } else {
        user = await createAccount(db, config, { username: demo.username, password, role: demo.role });
      }
      print(`# ${demo.username.padEnd(15)} ${demo.role.padEnd(19)} password: ${password}`);
      print(`export ${demo.variable}='${signer.access(user)}'`);
    }
  });
}

if (import.meta.main) {
  await import('dotenv/config');
  try {
    await main(process.env, console.log, console.error);
  } catch (error) {
    console.error(describeError(error));
    process.exitCode = 1;
  }
}
