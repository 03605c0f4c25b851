// Password change, disabling and deleting accounts, with real tokens from real logins; each action's audit event.
import t from 'tap';
import { loadSpec } from '../../src/spec/index.ts';
import { inject } from '../helpers/app.ts';
import { rowCount } from '../helpers/database.ts';
import { createUser } from '../helpers/users.ts';
import { authTestApp, login, register } from './fixtures.ts';

const { app, db } = await authTestApp(t);
const admin = await createUser(app, db, { role: 'admin' });
// A second admin, so that the first may demote, disable and delete admins in these tests.
await createUser(app, db, { role: 'admin' });

const call = (method: string, url: string, token?: string, payload?: unknown) =>
  inject(app, {
    method: method as 'GET',
    url,
    ...(token ? { token } : {}),
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
const loginStatus = async (username: string, password: string) =>
  (await call('POST', '/api/auth/token/', undefined, { username, password })).statusCode;
const idOf = async (token: string) => (await call('GET', '/api/v1/user', token)).json().id as number;
const events = (targetId: number) =>
  db.selectFrom('audit_events').selectAll().where('target_id', '=', targetId).orderBy('id').execute();

t.test('a password change refuses the old password, access token and refresh token; the new password works', async (t) => {
  await register(app, 'alice', 'alice-old-password');
  const session = await login(app, 'alice', 'alice-old-password');
  const other = await login(app, 'alice', 'alice-old-password');
  const id = await idOf(session.access);
  const change = (current: string, next: string) =>
    call('PUT', '/api/v1/user/password', session.access, { current_password: current, new_password: next });
  const before = (await events(id)).length;

  const wrong = await change('not-the-password', 'alice-new-password');
  t.equal(wrong.statusCode, 401, 'a wrong current password');
  t.equal(wrong.json().code, 'unauthorized');
  const weak = await change('alice-old-password', 'short');
  t.equal(weak.statusCode, 400, 'the registration rules');
  t.match(weak.json().details, [{ field: 'new_password' }]);
  t.equal(await loginStatus('alice', 'alice-old-password'), 200, 'nothing changed by the refusals');

  const done = await change('alice-old-password', 'alice-new-password');
  t.equal(done.statusCode, 204);
  t.equal(done.body, '');

  const me = await call('GET', '/api/v1/user', session.access);
  t.equal(me.statusCode, 401, 'the old access token is refused at once');
  t.equal(me.headers['www-authenticate'], 'Bearer');
  for (const refresh of [session.refresh, other.refresh]) {
    const refreshed = await call('POST', '/api/auth/token/refresh/', undefined, { refresh });
    t.equal(refreshed.statusCode, 401, 'every refresh token family is revoked');
  }
  t.equal(await loginStatus('alice', 'alice-old-password'), 401, 'the old password is refused');
  const fresh = await login(app, 'alice', 'alice-new-password');
  t.equal((await call('GET', '/api/v1/user', fresh.access)).statusCode, 200, 'the new password signs in');

  const trail = (await events(id)).slice(before);
  t.same(
    trail.map((e) => e.action),
    ['signed_in', 'password_changed', 'sign_in_failed', 'signed_in'],
    'one password_changed event among the sign-ins',
  );
  t.match(trail[1], { actor_id: id, actor: 'alice', target: 'alice', request_id: String, before: null, after: null });
});

t.test('a disabled user is refused on every secured operation at once; enabled, they sign in again', async (t) => {
  await register(app, 'bob', 'bob-password-1');
  const session = await login(app, 'bob', 'bob-password-1');
  const id = await idOf(session.access);

  const disabled = await call('PATCH', `/api/v1/users/${id}`, admin.token, { active: false });
  t.equal(disabled.statusCode, 200);
  t.match(disabled.json(), { id, active: false, role: 'member' });

  const document = loadSpec().document as { paths: Record<string, Record<string, { security?: unknown[] }>> };
  let secured = 0;
  for (const [template, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!operation.security?.some((s) => 'bearerAuth' in (s as object))) continue;
      const url = template
        .replace('{uuid}', '6f1c2d3e-4b5a-4c6d-8e7f-1a2b3c4d5e6f')
        .replace('{movie_uuid}', '57baf4f4-c9ef-4197-9e4f-acf04eae5b4d')
        .replace('{id}', '1');
      const res = await call(method.toUpperCase(), url, session.access);
      secured += 1;
      t.equal(res.statusCode, 401, `${method.toUpperCase()} ${template}`);
      t.equal(res.json().code, 'account_disabled', `${method.toUpperCase()} ${template}: its own code`);
    }
  }
  t.ok(secured >= 20, `${secured} secured operations tried`);

  const rightPassword = await call('POST', '/api/auth/token/', undefined, { username: 'bob', password: 'bob-password-1' });
  t.equal(rightPassword.statusCode, 403, 'the right password is a 403');
  t.equal(rightPassword.json().code, 'login_disabled');
  const byEmail = await call('POST', '/api/auth/token/', undefined, { username: 'bob', password: 'bob-wrong-password' });
  t.equal(byEmail.statusCode, 401, 'a wrong password is the ordinary 401');
  t.equal(byEmail.json().code, 'unauthorized');
  const refreshed = await call('POST', '/api/auth/token/refresh/', undefined, { refresh: session.refresh });
  t.equal(refreshed.statusCode, 401, 'the refresh token is refused');

  const listed = await call('GET', '/api/v1/users?active=false', admin.token);
  t.same(
    listed.json().users.map((u: { username: string }) => u.username),
    ['bob'],
    'the disabled users filter',
  );

  const enabled = await call('PATCH', `/api/v1/users/${id}`, admin.token, { active: true });
  t.match(enabled.json(), { id, active: true });
  const again = await login(app, 'bob', 'bob-password-1');
  t.equal((await call('GET', '/api/v1/user', again.access)).statusCode, 200, 'signs in again');

  const trail = (await events(id)).filter((e) => e.action === 'disabled' || e.action === 'enabled');
  t.match(trail, [
    { action: 'disabled', actor_id: admin.id, before: { active: true }, after: { active: false } },
    { action: 'enabled', actor_id: admin.id, before: { active: false }, after: { active: true } },
  ]);
  t.equal(trail.length, 2, 'one event each');
});

t.test('a deleted user: token 401, collections and messages gone, username free again', async (t) => {
  await register(app, 'carol', 'carol-password-1');
  const session = await login(app, 'carol', 'carol-password-1');
  const id = await idOf(session.access);
  t.equal((await call('POST', '/api/messages', session.access, { content: 'bye' })).statusCode, 201);
  t.equal((await call('POST', '/collection/', session.access, { title: 'mine', movies: [] })).statusCode, 201);
  const owned = async () => ({
    messages: Number((await db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).where('author_id', '=', id).executeTakeFirstOrThrow()).n),
    collections: Number((await db.selectFrom('collections').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', id).executeTakeFirstOrThrow()).n),
    refresh: Number((await db.selectFrom('refresh_tokens').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', id).executeTakeFirstOrThrow()).n),
  });
  t.same(await owned(), { messages: 1, collections: 1, refresh: 2 });

  const wrong = await call('DELETE', '/api/v1/user', session.access, { password: 'not-carols-password' });
  t.equal(wrong.statusCode, 401, 'a wrong password deletes nothing');
  t.same(await owned(), { messages: 1, collections: 1, refresh: 2 });
  const missing = await call('DELETE', '/api/v1/user', session.access, {});
  t.equal(missing.statusCode, 400, 'the password is required');

  const deleted = await call('DELETE', '/api/v1/user', session.access, { password: 'carol-password-1' });
  t.equal(deleted.statusCode, 204);
  t.equal((await call('GET', '/api/v1/user', session.access)).statusCode, 401, 'the token is a 401');
  t.equal((await call('POST', '/api/auth/token/refresh/', undefined, { refresh: session.refresh })).statusCode, 401);
  t.same(await owned(), { messages: 0, collections: 0, refresh: 0 }, 'messages, collections and refresh tokens gone');
  t.equal((await call('POST', '/register/', undefined, { username: 'CAROL', password: 'carol-password-2' })).statusCode, 201, 'the username is free');

  const trail = await events(id);
  t.match(trail.filter((e) => e.action === 'deleted'), [{ actor_id: id, target: 'carol', before: { role: 'member', active: true } }]);
  t.equal(trail.filter((e) => e.action === 'deleted').length, 1);
});

t.test('admins delete users; members may not; unknown ids are 404', async (t) => {
  await register(app, 'dave', 'dave-password-1');
  const session = await login(app, 'dave', 'dave-password-1');
  const id = await idOf(session.access);
  t.equal((await call('DELETE', `/api/v1/users/${id}`, session.access)).statusCode, 403, 'a member may not');
  const users = await rowCount(db, 'users');
  t.equal((await call('DELETE', '/api/v1/users/2147483647', admin.token)).statusCode, 404);
  t.equal(await rowCount(db, 'users'), users, 'nothing deleted');
  t.equal((await call('DELETE', `/api/v1/users/${id}`, admin.token)).statusCode, 204);
  t.equal((await call('GET', '/api/v1/user', session.access)).statusCode, 401);
  t.equal(await loginStatus('dave', 'dave-password-1'), 401, 'nor can they sign in');
  t.match(await events(id), [{ action: 'signed_in' }, { action: 'deleted', actor_id: admin.id, target: 'dave' }]);
});

t.test('role changes leave one event with before and after; a no-op leaves none', async (t) => {
  const user = await createUser(app, db);
  const promote = () => call('PATCH', `/api/v1/users/${user.id}`, admin.token, { role: 'casting_director' });
  t.equal((await promote()).statusCode, 200);
  t.equal((await promote()).statusCode, 200);
  t.match(await events(user.id), [
    { action: 'role_changed', actor_id: admin.id, before: { role: 'member' }, after: { role: 'casting_director' } },
  ]);
  t.equal((await events(user.id)).length, 1);
  const empty = await call('PATCH', `/api/v1/users/${user.id}`, admin.token, {});
  t.equal(empty.statusCode, 400, 'an empty change is a 400');
});
