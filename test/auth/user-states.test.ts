import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import t from 'tap';
import { buildApp } from '../../src/app.ts';
import { STALENESS_BOUND_MS } from '../../src/auth/user-states.ts';
import { LISTENER_APPLICATION_NAME } from '../../src/auth/user-changes.ts';
import { loadConfig } from '../../src/config/index.ts';
import type { Database } from '../../src/db/index.ts';
import { inject, testEnv } from '../helpers/app.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { SERVER_ADMIN, serverToken, startServer } from '../helpers/server-process.ts';
import { createUser } from '../helpers/users.ts';

/** Polls `status()` every 10 ms until it is `wanted`; the milliseconds it took, or undefined after `limitMs`. */
async function msUntil(status: () => Promise<number>, wanted: number, limitMs = 5000): Promise<number | undefined> {
  const start = performance.now();
  for (let i = 0; i < 2000 && performance.now() - start < limitMs; i++) {
    if ((await status()) === wanted) return performance.now() - start;
    await sleep(10);
  }
  return undefined;
}

/** A change no NOTIFY tells anyone about: only a process that reads the row sees it. */
async function silently(db: Database, statement: ReturnType<typeof sql>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`alter table users disable trigger users_notify_changed`.execute(trx);
    await statement.execute(trx);
    await sql`alter table users enable trigger users_notify_changed`.execute(trx);
  });
}

t.test('in one process: states are cached, and every change to the row drops them', async (t) => {
  const database = await createTestDatabase(t);
  const { db } = database;
  const { config } = loadConfig(testEnv());
  const app = await buildApp(config, { db, notifications: database.notifications, logger: false });
  t.teardown(() => app.close());
  const listening = await msUntil(async () => (app.deps.userStates.trusted ? 1 : 0), 1);
  t.ok(listening !== undefined, 'the cache is listening');
  // On PGlite a NOTIFY is heard as its commit returns: the next request sees the change. On PostgreSQL it
  // arrives a moment later, within the bound.
  const takesEffect = async (status: () => Promise<number>, wanted: number, what: string) => {
    if (database.engine === 'pglite') return t.equal(await status(), wanted, `${what}: at once`);
    const ms = await msUntil(status, wanted);
    return t.ok(ms !== undefined && ms <= STALENESS_BOUND_MS, `${what}: within the bound (${ms} ms)`);
  };

  const manager = await createUser(app, db, { role: 'admin' });
  const list = () => inject(app, { method: 'GET', url: '/api/v1/users', token: manager.token });
  // A read that overlaps a change heard (here the insert's, on PostgreSQL a moment later) is not kept.
  await sleep(100);
  for (let i = 0; i < 3; i++) t.equal((await list()).statusCode, 200);

  await silently(db, sql`update users set role = 'member' where id = ${manager.id}`);
  t.equal((await list()).statusCode, 200, 'a change nobody was told of is not seen: the state came from the cache');

  await sql`update users set updated_at = now() where id = ${manager.id}`.execute(db);
  await takesEffect(async () => (await list()).statusCode, 403, 'any update of the row drops its state');

  const other = await createUser(app, db, { role: 'admin' });
  const otherList = () => inject(app, { method: 'GET', url: '/api/v1/users', token: other.token });
  t.equal((await otherList()).statusCode, 200);
  const demoted = await inject(app, {
    method: 'PATCH',
    url: `/api/v1/users/${manager.id}`,
    token: other.token,
    payload: { role: 'admin' },
  });
  t.equal(demoted.statusCode, 200);
  t.equal((await list()).statusCode, 200, 'a change made through this process takes effect at its next request');
  t.equal(
    (await inject(app, { method: 'PATCH', url: `/api/v1/users/${other.id}`, token: manager.token, payload: { role: 'member' } }))
      .statusCode,
    200,
  );
  t.equal((await otherList()).statusCode, 403, 'at once, whatever the engine');

  await sql`delete from users where id = ${manager.id}`.execute(db);
  await takesEffect(async () => (await list()).statusCode, 401, 'a deleted user is refused');
});

const { DATABASE_URL } = process.env;
t.test('two server processes on one PostgreSQL', { skip: DATABASE_URL ? false : 'DATABASE_URL is needed' }, async (t) => {
  const database = await createTestDatabase(t);
  const env = { DATABASE_URL: database.url, LOG_LEVEL: 'warn', ...SERVER_ADMIN };
  const [a, b] = await Promise.all([startServer(t, env), startServer(t, env)]);
  const admin = await serverToken([a!.url], 'admin');
  const call = async (base: string, method: string, path: string, token: string, body?: unknown) =>
    (
      await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      })
    ).status;
  const setRole = async (id: number, role: string) =>
    t.equal(await call(a!.url, 'PATCH', `/api/v1/users/${id}`, admin, { role }), 200, `${role} on A`);
  const member = await serverToken([a!.url], 'member');
  const me = await fetch(`${a!.url}/api/v1/user`, { headers: { authorization: `Bearer ${member}` } });
  const { id } = (await me.json()) as { id: number };
  const onB = () => call(b!.url, 'GET', '/api/v1/users', member);
  const listener = async (pid: number | undefined) =>
    (
      await sql<{ pid: number }>`
        select pid from pg_stat_activity where application_name = ${`${LISTENER_APPLICATION_NAME} ${pid}`}`.execute(
        database.db,
      )
    ).rows[0]?.pid;
  t.ok(await msUntil(async () => ((await listener(b!.child.pid)) ? 1 : 0), 1), "B's listener is connected");

  await setRole(id, 'admin');
  t.ok((await msUntil(onB, 200)) !== undefined, 'promoted: B lets the user list users');
  for (let i = 0; i < 20; i++) await onB();
  await setRole(id, 'member');
  const demoted = await msUntil(onB, 403);
  t.ok(demoted !== undefined && demoted <= STALENESS_BOUND_MS, `B refuses the demoted user within 1 s (${demoted} ms)`);

  await setRole(id, 'admin');
  t.ok((await msUntil(onB, 200)) !== undefined);
  const first = await listener(b!.child.pid);
  await sql`select pg_terminate_backend(${first!})`.execute(database.db);
  await b!.waitForLog((line) => /user-change listener lost its connection/.test(line.msg ?? ''), 5000);
  await setRole(id, 'member');
  const fallback = await msUntil(onB, 403);
  t.ok(fallback !== undefined && fallback <= STALENESS_BOUND_MS, `with its listener cut, B still refuses (${fallback} ms)`);

  await setRole(id, 'admin');
  t.ok((await msUntil(onB, 200)) !== undefined);
  const second = await msUntil(async () => {
    const pid = await listener(b!.child.pid);
    return pid !== undefined && pid !== first ? 1 : 0;
  }, 1);
  t.ok(second !== undefined, 'B listens again on a new connection');
  for (let i = 0; i < 20; i++) await onB();
  await setRole(id, 'member');
  const again = await msUntil(onB, 403);
  t.ok(again !== undefined && again <= STALENESS_BOUND_MS, `listening again, B refuses within 1 s (${again} ms)`);

  await setRole(id, 'admin');
  t.ok((await msUntil(onB, 200)) !== undefined);
  await sql`delete from users where id = ${id}`.execute(database.db);
  const deleted = await msUntil(onB, 401);
  t.ok(deleted !== undefined && deleted <= STALENESS_BOUND_MS, `a deleted user is refused on B within 1 s (${deleted} ms)`);
  t.equal(a!.child.exitCode, null, 'A still runs');
  t.equal(b!.child.exitCode, null, 'B still runs');
});

t.test(
  "a password change or a disable on A ends the user's sessions on B within 1 s",
  { skip: DATABASE_URL ? false : 'DATABASE_URL is needed' },
  async (t) => {
    const database = await createTestDatabase(t);
    const env = { DATABASE_URL: database.url, LOG_LEVEL: 'warn', ...SERVER_ADMIN };
    const [a, b] = await Promise.all([startServer(t, env), startServer(t, env)]);
    const admin = await serverToken([a!.url], 'admin');
    const send = async (base: string, method: string, path: string, token?: string, body?: unknown) => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: response.status, json: (await response.json().catch(() => ({}))) as Record<string, unknown> };
    };
    const username = `replica-${process.pid}`;
    t.equal((await send(a!.url, 'POST', '/register/', undefined, { username, password: 'first-password-1' })).status, 201);
    const signIn = async (password: string) =>
      String((await send(a!.url, 'POST', '/api/auth/token/', undefined, { username, password })).json.access);
    const onB = (token: string) => async () => (await send(b!.url, 'GET', '/api/v1/user', token)).status;

    const before = await signIn('first-password-1');
    t.ok((await msUntil(onB(before), 200)) !== undefined, 'B serves the token, its state cached');
    for (let i = 0; i < 20; i++) await onB(before)();
    const change = { current_password: 'first-password-1', new_password: 'second-password-2' };
    t.equal((await send(a!.url, 'PUT', '/api/v1/user/password', before, change)).status, 204, 'password changed on A');
    const ended = await msUntil(onB(before), 401);
    t.ok(ended !== undefined && ended <= STALENESS_BOUND_MS, `B refuses the older token within 1 s (${ended} ms)`);

    const after = await signIn('second-password-2');
    t.equal(await onB(after)(), 200, 'a token from the new password works on B');
    for (let i = 0; i < 20; i++) await onB(after)();
    const { id } = (await send(a!.url, 'GET', '/api/v1/user', after)).json as { id: number };
    t.equal((await send(a!.url, 'PATCH', `/api/v1/users/${id}`, admin, { active: false })).status, 200, 'disabled on A');
    const disabled = await msUntil(onB(after), 401);
    t.ok(disabled !== undefined && disabled <= STALENESS_BOUND_MS, `B refuses the disabled user within 1 s (${disabled} ms)`);
    t.match((await send(b!.url, 'GET', '/api/v1/user', after)).json, { code: 'account_disabled' });
  },
);

t.test(
  'a listener that cannot connect: every request reads its row',
  { skip: DATABASE_URL ? false : 'DATABASE_URL is needed' },
  async (t) => {
    const database = await createTestDatabase(t);
    const { db } = database;
    const { config } = loadConfig(testEnv());
    // Port 9 refuses at once: the channel never listens.
    const notifications = { engine: 'postgres' as const, url: 'postgres://postgres@127.0.0.1:9/nothing' };
    const app = await buildApp(config, { db, notifications, logger: false });
    t.teardown(() => app.close());
    const manager = await createUser(app, db, { role: 'admin' });
    const list = () => inject(app, { method: 'GET', url: '/api/v1/users', token: manager.token });
    for (let i = 0; i < 3; i++) t.equal((await list()).statusCode, 200);
    t.equal(app.deps.userStates.trusted, false, 'nothing cached is trusted');
    await silently(db, sql`update users set role = 'member' where id = ${manager.id}`);
    t.equal((await list()).statusCode, 403, 'even a change nobody was told of is seen at once');
  },
);
