import { randomUUID } from 'node:crypto';
import t from 'tap';
import { buildTestApp, inject } from '../helpers/app.ts';
import { client } from '../helpers/client.ts';
import { createTestDatabase, rowCount } from '../helpers/database.ts';
import { createUser } from '../helpers/users.ts';

const wrongLogin = { username: 'nobody', password: 'wrong-password' };

t.test('logins share one limit per client, registrations another: 429 with Retry-After', async (t) => {
  const { app, db } = await buildTestApp(t, { RATE_LIMIT_AUTH_MAX: '3', RATE_LIMIT_AUTH_WINDOW_MS: '60000' });
  const api = client(app);
  for (let i = 0; i < 3; i++) {
    const res = await inject(app, { method: 'POST', url: '/api/auth/token/', payload: wrongLogin });
    t.equal(res.statusCode, 401, `attempt ${i + 1}`);
  }
  const limited = await inject(app, { method: 'POST', url: '/api/auth/token/', payload: wrongLogin });
  t.equal(limited.statusCode, 429);
  t.match(limited.json(), { success: false, error: 429, code: 'rate_limited', message: /^too many requests, retry in / });
  const retryAfter = Number(limited.headers['retry-after']);
  t.ok(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 60, `Retry-After: ${retryAfter}`);

  // Another client (X-Forwarded-For is not trusted by default, so use the socket address) is not limited.
  const other = await inject(app, {
    method: 'POST',
    url: '/api/auth/token/',
    payload: wrongLogin,
    remoteAddress: '10.0.0.2',
  });
  t.equal(other.statusCode, 401, 'another client is not limited');
  const otherRoute = await api.POST('/api/v1/authenticate', {
    body: { email: 'nobody@example.com', password: 'wrong-password' },
  });
  t.equal(otherRoute.response.status, 429, 'the other login route shares the limit');

  for (let i = 0; i < 3; i++) {
    await api.POST('/register/', { body: { username: `flood-${i}`, password: 'flooding-password' } });
  }
  const before = await rowCount(db, 'users');
  const blocked = await api.POST('/register/', { body: { username: 'flood-x', password: 'flooding-password' } });
  t.equal(blocked.response.status, 429);
  t.equal(await rowCount(db, 'users'), before, 'a limited registration writes nothing');
});

t.test('refresh and other routes are not limited', async (t) => {
  const { app } = await buildTestApp(t, { RATE_LIMIT_AUTH_MAX: '1' });
  for (let i = 0; i < 3; i++) {
    const res = await client(app).POST('/api/auth/token/refresh/', { body: { refresh: 'unknown' } });
    t.equal(res.response.status, 401);
  }
});

const noRedis = process.env.REDIS_URL ? false : 'REDIS_URL is not set: the shared Redis store needs a Redis';
t.test('with Redis the limit holds across processes sharing it', { skip: noRedis }, async (t) => {
  const database = await createTestDatabase(t);
  const env = { RATE_LIMIT_AUTH_MAX: '3', REDIS_KEY_PREFIX: `test:${randomUUID()}:` };
  const a = await buildTestApp(t, env, database);
  const b = await buildTestApp(t, env, database);
  const attempt = (app: typeof a.app) =>
    inject(app, { method: 'POST', url: '/api/auth/token/', payload: wrongLogin });
  t.equal((await attempt(a.app)).statusCode, 401);
  t.equal((await attempt(b.app)).statusCode, 401);
  t.equal((await attempt(a.app)).statusCode, 401);
  const limited = await attempt(b.app);
  t.equal(limited.statusCode, 429, 'the fourth attempt, on the other instance, is refused');
  t.ok(Number(limited.headers['retry-after']) > 0);
});

t.test('password checks of a signed-in user are limited too: a stolen token is no password oracle', async (t) => {
  const { app, db } = await buildTestApp(t, { RATE_LIMIT_AUTH_MAX: '3', RATE_LIMIT_AUTH_WINDOW_MS: '60000' });
  const user = await createUser(app, db);
  const guesses = [
    { method: 'PUT' as const, url: '/api/v1/user/password', payload: { current_password: 'guess', new_password: 'a-long-new-password' } },
    { method: 'DELETE' as const, url: '/api/v1/user', payload: { password: 'guess' } },
  ];
  // The two share one limit: three guesses through either, then both are refused.
  const [change, remove] = guesses as [(typeof guesses)[0], (typeof guesses)[1]];
  t.equal((await inject(app, { ...change, token: user.token })).statusCode, 401, 'PUT 1');
  t.equal((await inject(app, { ...remove, token: user.token })).statusCode, 401, 'DELETE 1');
  t.equal((await inject(app, { ...change, token: user.token })).statusCode, 401, 'PUT 2');
  for (const guess of guesses) {
    const limited = await inject(app, { ...guess, token: user.token });
    t.equal(limited.statusCode, 429, `${guess.method}: the fourth guess`);
    t.ok(Number(limited.headers['retry-after']) > 0);
  }
  const login = await inject(app, { method: 'POST', url: '/api/auth/token/', payload: { username: user.username, password: 'guess' } });
  t.equal(login.statusCode, 401, 'the logins keep a limit of their own');
  t.equal(await rowCount(db, 'users'), 1, 'nothing deleted');
});
