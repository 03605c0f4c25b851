/**
 * `npm run demo`: a user of every role, sample actors and movies, messages and a collection, so every area has
 * something to look at; prints what it made and how to sign in, with the users' access tokens as shell exports
 * (`eval "$(npm run -s demo)"` sets the casting seeds' ASSISTANT_JWT, DIRECTOR_JWT and PRODUCER_JWT among them).
 * Running it again adds nothing twice and keeps every password unless --reset-passwords asks for new ones.
 */

import type { Role } from '../src/auth/permissions.ts';
import { hashPassword } from '../src/auth/passwords.ts';
import { updateUserAccess } from '../src/auth/account-queries.ts';
import { findUserByUsername, updatePasswordHash } from '../src/auth/queries.ts';
import { createAccount } from '../src/auth/service.ts';
import { createActor, createMovie } from '../src/casting/service.ts';
import { generateMovies } from '../src/catalog/sample/movies.ts';
import { FAKE_DEFAULTS } from '../src/catalog/sample/upstream.ts';
import { createCollection } from '../src/collections/service.ts';
import { type Env, readDotEnv } from '../src/config/index.ts';
import type { Database } from '../src/db/index.ts';
import { createMessage } from '../src/messages/service.ts';
import { exitFor, parseCommandLine } from './cli.ts';
import { generatePassword, type Print, withDatabase } from './users.ts';

export const DEMO_USERS: readonly { username: string; role: Role; variable: string }[] = [
  { username: 'demo-member', role: 'member', variable: 'MEMBER_JWT' },
  { username: 'demo-assistant', role: 'casting_assistant', variable: 'ASSISTANT_JWT' },
  { username: 'demo-director', role: 'casting_director', variable: 'DIRECTOR_JWT' },
  { username: 'demo-producer', role: 'executive_producer', variable: 'PRODUCER_JWT' },
  { username: 'demo-admin', role: 'admin', variable: 'ADMIN_JWT' },
];

const ACTORS = [
  { name: 'Ada Quill', age: 34, gender: 'F' },
  { name: 'Bruno Vale', age: 41, gender: 'M' },
  { name: 'Kit Harrow', age: 27, gender: 'X' },
] as const;
const MOVIES = [
  { title: 'The Lighthouse Letters', release_date: '2024-03-08', cast: ['Ada Quill', 'Bruno Vale'] },
  { title: 'Night Station', release_date: '2025-10-31', cast: ['Kit Harrow'] },
] as const;
const MESSAGES = ['Welcome to the Marquee demo board.', 'Anyone seen The Lighthouse Letters yet?'];
const COLLECTION = { title: 'Weekend picks', description: 'From the sample catalogue' };

const USAGE = `usage: npm run demo [-- --reset-passwords]
  Loads demo users (one per role), actors, movies, messages and a collection; adds nothing twice.
  Existing demo users keep their passwords unless --reset-passwords gives them new ones (printed).
  eval "$(npm run -s demo)" sets MEMBER_JWT, ASSISTANT_JWT, DIRECTOR_JWT, PRODUCER_JWT and ADMIN_JWT.`;

async function loadCasting(db: Database, print: Print): Promise<void> {
  const ids = new Map<string, number>();
  for (const actor of ACTORS) {
    const found = await db.selectFrom('actors').select('id').where('name', '=', actor.name).executeTakeFirst();
    ids.set(actor.name, found?.id ?? (await createActor(db, actor)).id);
    if (!found) print(`# actor ${actor.name}`);
  }
  for (const { cast, ...movie } of MOVIES) {
    const found = await db.selectFrom('movies').select('id').where('title', '=', movie.title).executeTakeFirst();
    if (found) continue;
    await createMovie(db, movie, { field: 'actors', ids: cast.map((name) => ids.get(name) as number) });
    print(`# movie ${movie.title} (${cast.join(', ')})`);
  }
}

async function loadBoardAndCollection(db: Database, memberId: number, print: Print): Promise<void> {
  for (const content of MESSAGES) {
    const found = await db
      .selectFrom('messages')
      .select('id')
      .where('author_id', '=', memberId)
      .where('content', '=', content)
      .executeTakeFirst();
    if (!found) print(`# message ${(await createMessage(db, memberId, content)).id}: ${content}`);
  }
  const found = await db
    .selectFrom('collections')
    .select('id')
    .where('user_id', '=', memberId)
    .where('title', '=', COLLECTION.title)
    .executeTakeFirst();
  if (found) return;
  // The first movies of the bundled sample catalogue, so the collection's movies show in /catalog/movies too.
  const movies = generateMovies(3, FAKE_DEFAULTS.seed);
  await createCollection(db, memberId, { ...COLLECTION, movies });
  print(`# collection "${COLLECTION.title}" of demo-member (${movies.map((m) => m.title).join(', ')})`);
}

export async function main(argv: string[], env: Env, print: Print, warn: Print = print): Promise<void> {
  const { values } = parseCommandLine(USAGE, { 'reset-passwords': { type: 'boolean' } }, { args: argv });
  await withDatabase(env, warn, async ({ db, config, signer }) => {
    print('# Marquee demo: sign in with POST /api/auth/token/ {"username", "password"} or the exports below.');
    let memberId = 0;
    for (const demo of DEMO_USERS) {
      let user = await findUserByUsername(db, demo.username);
      let shown = 'unchanged (--reset-passwords for a new one)';
      if (!user) {
        shown = generatePassword();
        user = await createAccount(db, config, { username: demo.username, password: shown, role: demo.role });
      } else {
        if (values['reset-passwords']) {
          shown = generatePassword();
          await updatePasswordHash(db, user.id, await hashPassword(shown));
        }
        user = await updateUserAccess(db, user.id, { role: demo.role, active: true });
      }
      if (demo.role === 'member') memberId = user.id;
      print(`# ${demo.username.padEnd(15)} ${demo.role.padEnd(19)} password: ${shown}`);
      print(`export ${demo.variable}='${signer.access(user)}'`);
    }
    await loadCasting(db, print);
    await loadBoardAndCollection(db, memberId, print);
  });
}

if (import.meta.main) {
  readDotEnv();
  try {
    await main(process.argv.slice(2), process.env, console.log, console.error);
  } catch (error) {
    process.exitCode = exitFor(error);
  }
}
