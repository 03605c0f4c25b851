// The admin bootstrap, `npm run users` and `npm run demo`, over the same config and database as the server.
import t, { type Test } from 'tap';
import { main as demo } from '../../scripts/demo.ts';
import { main as users } from '../../scripts/users.ts';
import { buildApp } from '../../src/app.ts';
import { ensureAdmin } from '../../src/auth/accounts.ts';
import { ROLE_PERMISSIONS } from '../../src/auth/permissions.ts';
import { loadConfig } from '../../src/config/index.ts';
import { createDatabase, type Database } from '../../src/db/index.ts';
import { inject, testEnv } from '../helpers/app.ts';
import { createTestDatabase, rowCount } from '../helpers/database.ts';
import { authTestApp, decodePayload, login, register } from './fixtures.ts';

t.test('ADMIN_USERNAME/ADMIN_PASSWORD ensure an admin who can log in', async (t) => {
  const env = { ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'root-password-1' };
  const { app, db, config } = await authTestApp(t, env);
  const created = await ensureAdmin(db, config, app.log);
  t.match(created, { username: 'root', role: 'admin' });
  const pair = await login(app, 'root', 'root-password-1');
  t.match(decodePayload(pair.access), { role: 'admin', permissions: ROLE_PERMISSIONS.admin });

  const again = await ensureAdmin(db, config, app.log);
  t.equal(again?.id, created?.id, 'idempotent');
  t.equal(await rowCount(db, 'users'), 1);

  const changed = loadConfig(testEnv({ ...env, ADMIN_PASSWORD: 'a-new-root-password' })).config;
  await ensureAdmin(db, changed, app.log);
  await login(app, 'root', 'a-new-root-password');
  const before = await inject(app, { method: 'GET', url: '/api/v1/user', token: pair.access });
  t.equal(before.statusCode, 401, 'a new ADMIN_PASSWORD ends the sessions of the old one: its access token');
  const refreshed = await inject(app, { method: 'POST', url: '/api/auth/token/refresh/', payload: { refresh: pair.refresh } });
  t.equal(refreshed.statusCode, 401, 'and its refresh token');
  const events = await db.selectFrom('audit_events').select(['action', 'actor']).execute();
  t.ok(
    events.some((e) => e.action === 'password_changed' && e.actor === 'ADMIN_PASSWORD'),
    'the audit trail says ADMIN_PASSWORD changed it',
  );
  const old = await inject(app, {
    method: 'POST',
    url: '/api/auth/token/',
    payload: { username: 'root', password: 'root-password-1' },
  });
  t.equal(old.statusCode, 401, 'the old password no longer works');

  await db.updateTable('users').set({ role: 'member' }).where('id', '=', created!.id).execute();
  t.equal((await ensureAdmin(db, changed, app.log))?.role, 'admin', 'a demoted admin is promoted back');

  t.equal(
    await ensureAdmin(db, loadConfig(testEnv()).config, app.log),
    undefined,
    'nothing without the variables',
  );
  const weak = loadConfig(testEnv({ ADMIN_USERNAME: 'weak', ADMIN_PASSWORD: 'short' })).config;
  await t.rejects(ensureAdmin(db, weak, app.log), /ADMIN_PASSWORD must be at least 8 characters/);
  t.equal(await rowCount(db, 'users'), 1, 'no weak admin written');
});

t.test('an existing user named by ADMIN_USERNAME becomes the admin', async (t) => {
  const { app, db } = await authTestApp(t);
  await register(app, 'Boss', 'boss-password-1');
  const config = loadConfig(testEnv({ ADMIN_USERNAME: 'boss', ADMIN_PASSWORD: 'boss-password-1' })).config;
  const admin = await ensureAdmin(db, config, app.log);
  t.match(admin, { username: 'Boss', role: 'admin' });
  t.equal(await rowCount(db, 'users'), 1);
});

t.test('processes starting together ensure one admin', async (t) => {
  const { app, db } = await authTestApp(t);
  const config = loadConfig(testEnv({ ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'root-password-1' })).config;
  const results = await Promise.all([1, 2, 3].map(() => ensureAdmin(db, config, app.log)));
  t.equal(new Set(results.map((user) => user?.id)).size, 1);
  t.equal(await rowCount(db, 'users'), 1);
});

/** The env a command runs with: this test's own database (PostgreSQL) or a fresh PGlite folder. */
async function commandEnv(t: Test) {
  const database = process.env.DATABASE_URL ? await createTestDatabase(t) : undefined;
  const env = testEnv(database ? { DATABASE_URL: database.url } : {});
  /** The app over the command's database, opened after the command closed it (PGlite allows one opener). */
  const open = async (t: Test) => {
    const db: Database =
      database?.db ?? createDatabase({ databaseUrl: undefined, dataDir: env.DATA_DIR! }).db;
    const app = await buildApp(loadConfig(env).config, { db, logger: false });
    t.teardown(async () => {
      await app.close();
      if (!database) await db.destroy();
    });
    return { app, db };
  };
  return { env, open };
}

async function run(command: (print: (line: string) => void) => Promise<void>): Promise<string[]> {
  const out: string[] = [];
  await command((line) => out.push(line));
  return out;
}

const field = (out: string[], name: string) =>
  out
    .find((line) => line.startsWith(`${name}:`))
    ?.slice(name.length + 1)
    .trim() ?? '';

// One database for the commands below: a new PGlite folder is slow to create.
const { env, open } = await commandEnv(t);

t.test('npm run users -- create / token', async (t) => {
  const created = await run((print) =>
    users(
      ['create', '--username', 'Producer', '--password', 'producer-password', '--role', 'executive_producer'],
      env,
      print,
    ),
  );
  t.match(created[0], /^created user \d+ "Producer" \(executive_producer\)$/);
  t.notOk(
    created.some((line) => line.includes('producer-password')),
    'a given password is not echoed',
  );

  const generated = await run((print) =>
    users(['create', '--username', 'assistant', '--role', 'casting_assistant'], env, print),
  );
  const password = field(generated, 'password');
  t.ok(password.length >= 16, 'a generated password is printed');

  const tokens = await run((print) => users(['token', '--username', 'PRODUCER'], env, print));
  t.match(tokens[0], /^user \d+ "Producer" \(executive_producer\)$/);

  const failure = (argv: string[]) =>
    users(argv, env, () => {}).then(
      () => undefined,
      (error: { code?: string; message: string }) => error,
    );
  t.match(await failure(['create', '--username', 'producer', '--password', 'producer-password']), {
    code: 'username_taken',
    message: 'username already taken',
  });
  for (const argv of [
    ['token', '--username', 'nobody'],
    ['create', '--username', 'x', '--role', 'emperor'],
    ['create'],
    ['token', '--username', 'Producer', '--role', 'admin'],
    ['delete', '--username', 'Producer'],
    [],
  ]) {
    t.match(await failure(argv), { name: 'UsageError' }, argv.join(' '));
  }
  t.match(await failure(['create', '--username', 'weak', '--password', 'short']), {
    code: 'validation_failed',
  });
  // The API's rules for a new account hold for the command too, before anything is written.
  t.match(await failure(['create', '--username', '   ', '--password', 'blank-password']), {
    code: 'validation_failed',
    message: 'invalid body',
    details: [{ field: 'username', message: 'must not be blank' }],
  });
  t.match(await failure(['create', '--username', 'mailer', '--email', 'not-an-email']), {
    code: 'validation_failed',
    details: [{ field: 'email' }],
  });

  const { app, db } = await open(t);
  t.same(
    (await db.selectFrom('users').select('username').execute()).map((u) => u.username).sort(),
    ['Producer', 'assistant'],
    'the refused commands wrote nothing',
  );
  for (const out of [created, tokens]) {
    const me = await inject(app, { method: 'GET', url: '/api/v1/user', token: field(out, 'access') });
    t.equal(me.statusCode, 200);
    t.match(me.json(), { username: 'Producer', role: 'executive_producer' });
    const refreshed = await inject(app, {
      method: 'POST',
      url: '/api/auth/token/refresh/',
      payload: { refresh: field(out, 'refresh') },
    });
    t.equal(refreshed.statusCode, 200, 'the refresh token works too');
  }
  await login(app, 'assistant', password);
  const actors = await inject(app, { method: 'GET', url: '/actors', token: field(generated, 'access') });
  t.not(actors.statusCode, 403, 'the assistant may list actors');
  t.not(actors.statusCode, 401);
});

t.test('npm run demo prints one export per role, again and again, and keeps passwords', async (t) => {
  const first = await run((print) => demo([], env, print));
  const second = await run((print) => demo([], env, print));
  const exports = (out: string[]) =>
    Object.fromEntries(
      out
        .filter((line) => line.startsWith('export '))
        .map((line) => {
          const [, name, token] = /^export ([A-Z_]+)='([^']+)'$/.exec(line) ?? [];
          return [name, token];
        }),
    );
  const tokens = exports(second);
  t.same(Object.keys(tokens).sort(), [
    'ADMIN_JWT',
    'ASSISTANT_JWT',
    'DIRECTOR_JWT',
    'MEMBER_JWT',
    'PRODUCER_JWT',
  ]);
  const roles = {
    MEMBER_JWT: 'member',
    ASSISTANT_JWT: 'casting_assistant',
    DIRECTOR_JWT: 'casting_director',
    PRODUCER_JWT: 'executive_producer',
    ADMIN_JWT: 'admin',
  } as const;
  for (const [name, role] of Object.entries(roles)) {
    t.match(decodePayload(tokens[name]!), { role, permissions: ROLE_PERMISSIONS[role] }, name);
    t.equal(
      decodePayload(tokens[name]!).sub,
      decodePayload(exports(first)[name]!).sub,
      'the same user each run',
    );
  }
  const passwordOf = (out: string[], username: string) =>
    /password: (.+)$/.exec(out.find((line) => line.startsWith(`# ${username} `)) ?? '')?.[1] ?? '';
  t.match(passwordOf(second, 'demo-admin'), /^unchanged/, 'a second run keeps the password');
  t.match(second, [/^# Marquee demo/], 'and adds no sample data twice');
  t.equal(second.filter((line) => /^# (actor|movie|message|collection) /.test(line)).length, 0);
  t.equal(first.filter((line) => /^# (actor|movie|message|collection) /.test(line)).length, 8, 'made 8 things');

  const reset = await run((print) => demo(['--reset-passwords'], env, print));
  t.not(passwordOf(reset, 'demo-admin'), passwordOf(first, 'demo-admin'), '--reset-passwords gives a new one');
  t.notMatch(passwordOf(reset, 'demo-admin'), /unchanged/);
  const help = await demo(['--help'], env, () => {}).then(
    () => undefined,
    (error: Error) => error,
  );
  t.match(help, { name: 'HelpRequested', message: /--reset-passwords/ }, '--help answers with the usage');

  const { app, db } = await open(t);
  t.same(
    (await db.selectFrom('actors').select('name').orderBy('name').execute()).map((a) => a.name),
    ['Ada Quill', 'Bruno Vale', 'Kit Harrow'],
  );
  t.equal(await rowCount(db, 'movies'), 2);
  t.equal(await rowCount(db, 'messages'), 2);
  t.equal(await rowCount(db, 'collections'), 1);
  const demoUsers = await db
    .selectFrom('users')
    .select(['username', 'role'])
    .where('username', 'like', 'demo-%')
    .orderBy('username')
    .execute();
  t.same(demoUsers, [
    { username: 'demo-admin', role: 'admin' },
    { username: 'demo-assistant', role: 'casting_assistant' },
    { username: 'demo-director', role: 'casting_director' },
    { username: 'demo-member', role: 'member' },
    { username: 'demo-producer', role: 'executive_producer' },
  ]);
  await login(app, 'demo-producer', passwordOf(reset, 'demo-producer'));
  const list = await inject(app, { method: 'GET', url: '/api/v1/users', token: tokens.ADMIN_JWT });
  t.equal(list.statusCode, 200);
  t.equal(list.json().total_users, await rowCount(db, 'users'));
});

t.test('the users command refuses to start on a bad configuration', async (t) => {
  await t.rejects(
    users(['token', '--username', 'x'], testEnv({ PORT: 'nope' }), () => {}),
    /PORT/,
  );
});
