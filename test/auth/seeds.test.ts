// Every documented call of the three seeds with user endpoints, sent as the seeds send them.
import t from 'tap';
import { inject } from '../helpers/app.ts';
import { rowCount } from '../helpers/database.ts';
import { authTestApp, decodePayload } from './fixtures.ts';

const { app, db } = await authTestApp(t);
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
/** A form POST, as the Django seeds' clients send them. */
const postForm = (url: string, payload: string) => inject(app, { method: 'POST', url, headers: FORM, payload });

t.test('movie-collections: POST /register/ answers an access token', async (t) => {
  const res = await inject(app, {
    method: 'POST',
    url: '/register/',
    payload: { username: 'collector', password: 'desired-password' },
  });
  t.equal(res.statusCode, 201);
  const body = res.json();
  t.type(body.access_token, 'string');
  t.type(body.refresh_token, 'string');
  t.match(decodePayload(body.access_token), { username: 'collector', role: 'member', permissions: [] });

  // "All requests except the registration one should be authenticated": the token is one.
  const me = await inject(app, { method: 'GET', url: '/api/v1/user', token: body.access_token });
  t.equal(me.statusCode, 200);
  t.equal(me.json().username, 'collector');
});

t.test('messages-api: register with curl -d, get a token pair, refresh it', async (t) => {
  // curl -d "username=YourUserName&password=YourPassword" -X POST …/api/auth/register/
  const registered = await postForm('/api/auth/register/', 'username=YourUserName&password=YourPassword');
  t.equal(registered.statusCode, 201);
  const user = registered.json();
  t.match(user, {
    id: Number,
    username: 'YourUserName',
    email: null,
    first_name: '',
    last_name: '',
    is_staff: false,
  });

  // fetch('…/api/auth/token/', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: …})
  const token = await inject(app, {
    method: 'POST',
    url: '/api/auth/token/',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ username: 'YourUserName', password: 'YourPassword' }),
  });
  t.equal(token.statusCode, 200);
  const { refresh, access } = token.json();
  t.type(refresh, 'string');
  t.type(access, 'string');
  t.equal(decodePayload(access).sub, String(user.id));

  const refreshed = await inject(app, {
    method: 'POST',
    url: '/api/auth/token/refresh/',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ refresh }),
  });
  t.equal(refreshed.statusCode, 200);
  t.type(refreshed.json().access, 'string');

  // Authorization: Bearer {token}
  const me = await inject(app, {
    method: 'GET',
    url: '/api/v1/user',
    headers: { authorization: `Bearer ${refreshed.json().access}` },
  });
  t.equal(me.statusCode, 200);
  t.equal(me.json().id, user.id);
});

t.test('messages-api: the token endpoints take form bodies too', async (t) => {
  await postForm('/api/auth/register/', 'username=former&password=form-password&email=former%40example.com&first_name=For&last_name=Mer');
  const token = await postForm('/api/auth/token/', 'username=former&password=form-password');
  t.equal(token.statusCode, 200);
  const refreshed = await postForm('/api/auth/token/refresh/', `refresh=${encodeURIComponent(token.json().refresh)}`);
  t.equal(refreshed.statusCode, 200);
  const revoked = await postForm('/api/auth/token/revoke/', `refresh=${encodeURIComponent(refreshed.json().refresh)}`);
  t.equal(revoked.statusCode, 204);
  const me = await inject(app, { method: 'GET', url: '/api/v1/user', token: token.json().access });
  t.match(me.json(), { email: 'former@example.com', first_name: 'For', last_name: 'Mer' });
});

t.test('users-api-flask: POST /api/v1/user, GET /api/v1/user, POST /api/v1/authenticate', async (t) => {
  const before = await rowCount(db, 'users');
  // The seed's own example password is six characters: refused on purpose, with the reason.
  const weak = await inject(app, {
    method: 'POST',
    url: '/api/v1/user',
    payload: { email: 'test2@test.com', password: '123456' },
  });
  t.equal(weak.statusCode, 400);
  t.match(weak.json(), { success: false, error: 400, details: [{ field: 'password' }] });
  t.equal(await rowCount(db, 'users'), before, 'nothing written');

  const created = await inject(app, {
    method: 'POST',
    url: '/api/v1/user',
    payload: { email: 'test2@test.com', password: '12345678' },
  });
  t.equal(created.statusCode, 201);
  const { id, token } = created.json();
  t.type(id, 'number');
  t.type(token, 'string');

  const me = await inject(app, { method: 'GET', url: '/api/v1/user', token });
  t.equal(me.statusCode, 200);
  t.match(me.json(), { id, email: 'test2@test.com', username: 'test2@test.com', role: 'member' });

  const anonymous = await inject(app, { method: 'GET', url: '/api/v1/user' });
  t.equal(anonymous.statusCode, 401);
  t.equal(anonymous.headers['www-authenticate'], 'Bearer');

  const inUse = await inject(app, {
    method: 'POST',
    url: '/api/v1/user',
    payload: { email: 'TEST2@test.com', password: '12345678' },
  });
  t.equal(inUse.statusCode, 409);
  t.same(inUse.json(), { success: false, error: 409, code: 'email_taken', message: 'email already in use' });

  for (const payload of [{ email: 'not-an-email', password: '12345678' }, { password: '12345678' }, {}]) {
    const bad = await inject(app, { method: 'POST', url: '/api/v1/user', payload });
    t.equal(bad.statusCode, 400, JSON.stringify(payload));
  }
  t.equal(await rowCount(db, 'users'), before + 1, 'only the one good registration was written');

  const authenticated = await inject(app, {
    method: 'POST',
    url: '/api/v1/authenticate',
    payload: { email: 'test2@test.com', password: '12345678' },
  });
  t.equal(authenticated.statusCode, 200);
  t.equal(authenticated.json().id, id);
  t.equal(decodePayload(authenticated.json().token).sub, String(id));

  const wrong = await inject(app, {
    method: 'POST',
    url: '/api/v1/authenticate',
    payload: { email: 'test2@test.com', password: '87654321' },
  });
  t.equal(wrong.statusCode, 401);
});
