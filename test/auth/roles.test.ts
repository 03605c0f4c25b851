import t from 'tap';
import { ROLE_PERMISSIONS } from '../../src/auth/permissions.ts';
import { inject, tokenFor } from '../helpers/app.ts';
import { rowCount } from '../helpers/database.ts';
import { createUser } from '../helpers/users.ts';
import { authTestApp, decodePayload, login, register } from './fixtures.ts';

const { app, db } = await authTestApp(t);
const admin = await createUser(app, db, { role: 'admin', username: 'the-admin' });
await register(app, 'alice');

const refreshCall = (refresh: string) =>
  inject(app, { method: 'POST', url: '/api/auth/token/refresh/', payload: { refresh } });
const me = (token: string) => inject(app, { method: 'GET', url: '/api/v1/user', token });

t.test('a role change takes effect at once, for tokens issued before it too; refresh issues the current role', async (t) => {
  await register(app, 'rising');
  const before = await login(app, 'rising');
  const { id } = (await me(before.access)).json();
  t.equal((await inject(app, { method: 'GET', url: '/actors', token: before.access })).statusCode, 403);

  const patched = await inject(app, {
    method: 'PATCH',
    url: `/api/v1/users/${id}`,
    token: admin.token,
    payload: { role: 'casting_director' },
  });
  t.equal(patched.statusCode, 200);
  t.match(patched.json(), {
    id,
    username: 'rising',
    role: 'casting_director',
    is_staff: false,
    permissions: ROLE_PERMISSIONS.casting_director,
  });

  t.same(decodePayload(before.access).permissions, [], 'the old token is unchanged');
  t.equal(
    (await inject(app, { method: 'GET', url: '/actors', token: before.access })).statusCode,
    200,
    'privileges follow the current role, not the token',
  );
  t.equal((await me(before.access)).json().role, 'casting_director', 'the user record shows the new role');

  const refreshed = (await refreshCall(before.refresh)).json();
  t.same(decodePayload(refreshed.access).permissions, ROLE_PERMISSIONS.casting_director);
  const relogged = await login(app, 'rising');
  t.match(decodePayload(relogged.access), { role: 'casting_director' });
  const actors = await inject(app, { method: 'GET', url: '/actors', token: refreshed.access });
  t.not(actors.statusCode, 401);
  t.not(actors.statusCode, 403);

  const promoted = await inject(app, {
    method: 'PATCH',
    url: `/api/v1/users/${id}`,
    token: admin.token,
    payload: { role: 'admin' },
  });
  t.match(promoted.json(), { role: 'admin', is_staff: true, permissions: ROLE_PERMISSIONS.admin });
});

t.test('role changes: admins only, known roles, existing users', async (t) => {
  await register(app, 'target');
  const target = await db
    .selectFrom('users')
    .selectAll()
    .where('username', '=', 'target')
    .executeTakeFirstOrThrow();
  const producer = await tokenFor(app, 'executive_producer');
  const cases = [
    { token: producer, payload: { role: 'admin' }, status: 403 },
    { token: undefined, payload: { role: 'admin' }, status: 401 },
    { token: admin.token, payload: { role: 'emperor' }, status: 400 },
    { token: admin.token, payload: {}, status: 400 },
    { token: admin.token, payload: { role: 'admin', username: 'renamed' }, status: 400 },
  ];
  for (const { token, payload, status } of cases) {
    const res = await inject(app, { method: 'PATCH', url: `/api/v1/users/${target.id}`, token, payload });
    t.equal(res.statusCode, status, JSON.stringify(payload));
  }
  const after = await db
    .selectFrom('users')
    .selectAll()
    .where('id', '=', target.id)
    .executeTakeFirstOrThrow();
  t.same(after, target, 'nothing changed');

  const missing = await inject(app, {
    method: 'PATCH',
    url: '/api/v1/users/999999',
    token: admin.token,
    payload: { role: 'member' },
  });
  t.equal(missing.statusCode, 404);
  t.equal(missing.json().message, 'user 999999 not found');
});

t.test('admins list users a page at a time, oldest first', async (t) => {
  const total = await rowCount(db, 'users');
  const first = await inject(app, { method: 'GET', url: '/api/v1/users?limit=2', token: admin.token });
  t.equal(first.statusCode, 200);
  t.match(first.json(), { success: true, total_users: total, page: 1, limit: 2 });
  t.equal(first.json().users.length, 2);
  t.match(first.json().users[0], { id: admin.id, username: 'the-admin', role: 'admin', is_staff: true });
  const second = await inject(app, {
    method: 'GET',
    url: '/api/v1/users?limit=2&page=2',
    token: admin.token,
  });
  t.ok(second.json().users[0].id > first.json().users[1].id);
  const beyond = await inject(app, { method: 'GET', url: '/api/v1/users?page=1000', token: admin.token });
  t.same(beyond.json().users, []);
  t.notOk(JSON.stringify(first.json()).includes('password'), 'no hash in the list');
  for (const query of ['limit=0', 'limit=101', 'page=0', 'page=x']) {
    const res = await inject(app, { method: 'GET', url: `/api/v1/users?${query}`, token: admin.token });
    t.equal(res.statusCode, 400, query);
  }
});

t.test('GET /api/v1/user for a user deleted since the token was issued is a 401', async (t) => {
  const gone = await createUser(app, db, { username: 'gone' });
  await db.deleteFrom('users').where('id', '=', gone.id).execute();
  const res = await me(gone.token);
  t.equal(res.statusCode, 401);
  t.equal(res.json().message, 'the user of this token no longer exists');
  t.equal(res.headers['www-authenticate'], 'Bearer');
});
