// No password or token may appear in a log line, whatever the level: this app logs at trace, without redaction.
import { Writable } from 'node:stream';
import t from 'tap';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import { inject, testEnv } from '../helpers/app.ts';
import { createTestDatabase } from '../helpers/database.ts';

const lines: string[] = [];
const stream = new Writable({
  write(chunk, _encoding, done) {
    lines.push(String(chunk));
    done();
  },
});
const { db } = await createTestDatabase(t);
const { config } = loadConfig(testEnv({ LOG_LEVEL: 'trace' }));
const app = await buildApp(config, { db, logger: { level: 'trace', stream } });
t.teardown(() => app.close());

const PASSWORD = 'Sw0rdfish-Secret-Passw0rd';
const secrets: string[] = [PASSWORD];
const post = (url: string, payload: object | string, headers: Record<string, string> = {}) =>
  inject(app, { method: 'POST', url, payload, headers });

t.test('register, log in, refresh, revoke, use tokens, change the password, delete the account: no secret is logged', async (t) => {
  const registered = (await post('/register/', { username: 'quiet', password: PASSWORD })).json();
  secrets.push(registered.access_token, registered.refresh_token);
  await post('/api/auth/register/', `username=quieter&password=${PASSWORD}`, {
    'content-type': 'application/x-www-form-urlencoded',
  });
  const pair = (await post('/api/auth/token/', { username: 'quiet', password: PASSWORD })).json();
  secrets.push(pair.access, pair.refresh);
  const rotated = (await post('/api/auth/token/refresh/', { refresh: pair.refresh })).json();
  secrets.push(rotated.access, rotated.refresh);
  t.equal((await post('/api/auth/token/refresh/', { refresh: pair.refresh })).statusCode, 401, 'reuse');
  t.equal((await post('/api/auth/token/revoke/', { refresh: registered.refresh_token })).statusCode, 204);
  const v1 = (await post('/api/v1/user', { email: 'quiet@example.com', password: PASSWORD })).json();
  secrets.push(v1.token);
  const authenticated = (
    await post('/api/v1/authenticate', { email: 'quiet@example.com', password: PASSWORD })
  ).json();
  secrets.push(authenticated.token);
  t.equal(
    (await post('/api/auth/token/', { username: 'quiet', password: `${PASSWORD}-wrong` })).statusCode,
    401,
  );
  await post('/api/auth/token/', { username: 'nobody', password: PASSWORD });
  t.equal((await inject(app, { method: 'GET', url: '/api/v1/user', token: rotated.access })).statusCode, 200);
  const tampered = `${rotated.access.slice(0, -3)}abc`;
  secrets.push(tampered);
  t.equal((await inject(app, { method: 'GET', url: '/actors', token: tampered })).statusCode, 401);
  t.equal(
    (await inject(app, { method: 'GET', url: '/api/v1/users', token: rotated.access })).statusCode,
    403,
  );
  const NEW_PASSWORD = 'Tr0mbone-Secret-Passw0rd';
  secrets.push(NEW_PASSWORD);
  const change = { current_password: PASSWORD, new_password: NEW_PASSWORD };
  t.equal((await inject(app, { method: 'PUT', url: '/api/v1/user/password', token: rotated.access, payload: change })).statusCode, 204);
  const again = (await post('/api/auth/token/', { username: 'quiet', password: NEW_PASSWORD })).json();
  secrets.push(again.access, again.refresh);
  const remove = { method: 'DELETE' as const, url: '/api/v1/user', token: again.access };
  t.equal((await inject(app, { ...remove, payload: { password: `${NEW_PASSWORD}-wrong` } })).statusCode, 401);
  t.equal((await inject(app, { ...remove, payload: { password: NEW_PASSWORD } })).statusCode, 204);

  const log = lines.join('');
  t.ok(lines.length >= 20, `${lines.length} log lines captured`);
  t.match(log, /incoming request/, 'requests are logged');
  for (const secret of secrets) {
    t.notOk(log.includes(secret), `a secret of ${secret.length} characters is not in the log`);
    // A token's signature alone is as good as the token for grepping a leak.
    const tail = secret.split('.').at(-1) ?? '';
    if (tail.length > 10) t.notOk(log.includes(tail), 'nor its signature part');
  }
  // Beyond the column name and the password-change path, which the access log names like any other.
  const words = log.replaceAll('password_hash', '').replaceAll('/api/v1/user/password', '');
  t.notOk(/password/i.test(words), 'the word password is not even there');
});
