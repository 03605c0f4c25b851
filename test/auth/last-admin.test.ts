// The last active admin cannot be demoted, disabled or deleted, however many admins try at the same moment:
// two admins act on each other with real concurrent requests to a real server process, round after round.
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import t from 'tap';
import { inject } from '../helpers/app.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { SERVER_ADMIN, serverToken, startServer } from '../helpers/server-process.ts';
import { createUser } from '../helpers/users.ts';
import { authTestApp } from './fixtures.ts';

t.test('a lone admin cannot demote, disable or delete itself; nothing changes, no event', async (t) => {
  const { app, db } = await authTestApp(t);
  const admin = await createUser(app, db, { role: 'admin' });
  const attempts = [
    { method: 'PATCH', url: `/api/v1/users/${admin.id}`, payload: { role: 'member' } },
    { method: 'PATCH', url: `/api/v1/users/${admin.id}`, payload: { active: false } },
    { method: 'PATCH', url: `/api/v1/users/${admin.id}`, payload: { role: 'executive_producer', active: false } },
    { method: 'DELETE', url: `/api/v1/users/${admin.id}` },
  ] as const;
  for (const attempt of attempts) {
    const res = await inject(app, { ...attempt, token: admin.token });
    t.equal(res.statusCode, 409, `${attempt.method} ${JSON.stringify('payload' in attempt ? attempt.payload : '')}`);
    t.equal(res.json().code, 'last_admin');
  }
  t.match(await db.selectFrom('users').selectAll().where('id', '=', admin.id).executeTakeFirst(), { role: 'admin', active: true });
  t.equal((await db.selectFrom('audit_events').selectAll().execute()).length, 0, 'no event');
  const other = await createUser(app, db, { role: 'admin' });
  const disabled = await inject(app, { method: 'PATCH', url: `/api/v1/users/${other.id}`, token: admin.token, payload: { active: false } });
  t.equal(disabled.statusCode, 200, 'with a second admin, one may go');
  const last = await inject(app, { method: 'PATCH', url: `/api/v1/users/${admin.id}`, token: admin.token, payload: { role: 'member' } });
  t.equal(last.statusCode, 409, 'a disabled admin does not count');
});

const ROUNDS = 12;

t.test(`two admins acting on each other at the same moment: exactly one wins, ${ROUNDS} rounds`, async (t) => {
  const database = process.env.DATABASE_URL ? await createTestDatabase(t) : undefined;
  const server = await startServer(t, {
    ...SERVER_ADMIN,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_AUTH_MAX: '10000',
    ...(database?.url ? { DATABASE_URL: database.url } : {}),
  });
  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  };
  // On PostgreSQL, half the rounds hold the admins' rows from outside until both requests wait for them: both
  // have passed the token check and counted nothing yet, so the rule itself must refuse one (409). PGlite is one
  // session; its transactions never interleave.
  const gate = database?.url ? new pg.Client({ connectionString: database.url }) : undefined;
  await gate?.connect();
  t.teardown(() => gate?.end());
  const hold = async () => {
    await gate!.query('begin');
    await gate!.query(`select id from users where role = 'admin' and active for update`);
  };
  const releaseWhenBothWait = async () => {
    for (let i = 0; i < 200; i += 1) {
      const { rows } = await gate!.query(
        `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
      );
      if (rows[0].n >= 2) break;
      await sleep(50);
    }
    await gate!.query('commit');
  };
  const activeAdmins = async (token: string) =>
    (await call('GET', '/api/v1/users?role=admin&active=true&limit=100', token)).json.total_users;

  let survivor = { token: await serverToken([server.url], 'admin'), id: 0 };
  survivor.id = (await call('GET', '/api/v1/user', survivor.token)).json.id as number;
  const losers: Record<number, number> = {};
  const kinds = [
    { name: 'demote', method: 'PATCH', body: { role: 'member' } },
    { name: 'disable', method: 'PATCH', body: { active: false } },
    { name: 'delete', method: 'DELETE', body: undefined },
  ];
  for (let round = 0; round < ROUNDS; round += 1) {
    const kind = kinds[round % kinds.length]!;
    const token = await serverToken([server.url], 'member');
    const id = (await call('GET', '/api/v1/user', token)).json.id as number;
    t.equal((await call('PATCH', `/api/v1/users/${id}`, survivor.token, { role: 'admin' })).status, 200);
    t.equal(await activeAdmins(token), 2, `round ${round}: two admins`);

    const pair = [survivor, { token, id }];
    const gated = gate !== undefined && round % 2 === 0;
    if (gated) await hold();
    const sent = pair.map((actor, i) => call(kind.method, `/api/v1/users/${pair[1 - i]!.id}`, actor.token, kind.body));
    if (gated) await releaseWhenBothWait();
    const results = await Promise.all(sent);
    if (gated) t.ok(results.some((r) => r.status === 409 && r.json.code === 'last_admin'), 'held: the rule refuses one');
    const won = results.map((r) => r.status >= 200 && r.status < 300);
    t.equal(won.filter(Boolean).length, 1, `round ${round} (${kind.name}): exactly one wins, ${JSON.stringify(results.map((r) => r.status))}`);
    const loser = results[won.indexOf(false)];
    if (!loser || !won.includes(true)) break;
    losers[loser.status] = (losers[loser.status] ?? 0) + 1;
    // 409 when both got past the token check before either committed; otherwise the winner's change already
    // refuses the loser's token (403 demoted, 401 disabled or deleted).
    t.ok([409, 403, 401].includes(loser.status), `the other is refused: ${loser.status} ${String(loser.json.code)}`);
    survivor = pair[won.indexOf(true)]!;
    t.equal(await activeAdmins(survivor.token), 1, `round ${round}: one active admin left`);
  }
  t.comment(`the losing request's statuses over ${ROUNDS} rounds: ${JSON.stringify(losers)}`);
  t.equal(server.child.exitCode, null, 'the server is still running');
});
