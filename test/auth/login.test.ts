import t from 'tap';
import { OPERATOR } from '../../src/auth/audit.ts';
import { signIn } from '../../src/auth/service.ts';
import { createTokenSigner } from '../../src/auth/signer.ts';
import { currentParams, hashingPool, hashPassword } from '../../src/auth/passwords.ts';
import { inject } from '../helpers/app.ts';
import { createUser } from '../helpers/users.ts';
import { authTestApp, login, register, scryptHash } from './fixtures.ts';

const { app, db, config } = await authTestApp(t);
await register(app, 'known', 'the-right-password');
await inject(app, {
  method: 'POST',
  url: '/api/v1/user',
  payload: { email: 'known@example.com', password: 'the-right-password' },
});

t.test('an unknown user and a wrong password get the very same 401', async (t) => {
  const attempts = [
    { url: '/api/auth/token/', payload: { username: 'nobody', password: 'the-right-password' } },
    { url: '/api/auth/token/', payload: { username: 'known', password: 'a-wrong-password' } },
    { url: '/api/auth/token/', payload: { username: 'known', password: 'x' } },
    { url: '/api/v1/authenticate', payload: { email: 'nobody@example.com', password: 'the-right-password' } },
    { url: '/api/v1/authenticate', payload: { email: 'known@example.com', password: 'a-wrong-password' } },
  ];
  for (const attempt of attempts) {
    const res = await inject(app, { method: 'POST', ...attempt });
    t.equal(res.statusCode, 401, JSON.stringify(attempt.payload));
    t.same(res.json(), { success: false, error: 401, code: 'unauthorized', message: 'invalid credentials' });
    t.equal(res.headers['www-authenticate'], 'Bearer');
  }
});

t.test('the same password work is done whether the user exists or not', async (t) => {
  // The hashing pool counts the hashes its threads finish: the real work, without mocks.
  const runs = () => hashingPool().derivations;
  // The dummy hash is made once per process, on first need; not part of a login's cost.
  const signer = createTokenSigner(config.jwt);
  const attempt = (login: { username: string } | { email: string }, password: string) =>
    signIn(db, config, signer, { login, password, refresh: false }, OPERATOR);
  await t.rejects(attempt({ username: 'warm-up' }, 'warm-up-password'), { code: 'unauthorized' });
  for (const [login, password] of [
    [{ username: 'nobody' }, 'the-right-password'],
    [{ username: 'known' }, 'a-wrong-password'],
    [{ email: 'nobody@example.com' }, 'the-right-password'],
    [{ email: 'known@example.com' }, 'a-wrong-password'],
  ] as const) {
    const before = runs();
    await t.rejects(attempt(login, password), { code: 'unauthorized' }, JSON.stringify(login));
    t.equal(runs() - before, 1, `one hash for ${JSON.stringify(login)}`);
  }
  // The dummy hash is made with the current parameters; so are the stored ones: both paths cost the same.
  const stored = await db.selectFrom('users').select('password_hash').where('username', '=', 'known').executeTakeFirstOrThrow();
  const { memoryKiB, passes, parallelism } = currentParams();
  t.ok(
    stored.password_hash.startsWith(`$argon2id$v=19$m=${memoryKiB},t=${passes},p=${parallelism}$`),
    'stored hashes use the current parameters',
  );
});

t.test('a user whose stored hash is unusable cannot log in (and it costs the same)', async (t) => {
  const placeholder = await createUser(app, db, { username: 'placeholder' });
  for (const password of ['placeholder:not-a-hash', 'not-a-hash', 'anything-at-all']) {
    const res = await inject(app, {
      method: 'POST',
      url: '/api/auth/token/',
      payload: { username: placeholder.username, password },
    });
    t.equal(res.statusCode, 401, password);
  }
});

t.test('scrypt hashes, and argon2id weaker than the setting, still verify and are upgraded at login', async (t) => {
  const storedHash = async () =>
    (await db.selectFrom('users').select('password_hash').where('username', '=', 'old-timer').executeTakeFirstOrThrow())
      .password_hash;
  await register(app, 'old-timer', 'old-timer-password');
  const old = scryptHash('old-timer-password');
  await db.updateTable('users').set({ password_hash: old }).where('username', '=', 'old-timer').execute();
  await login(app, 'old-timer', 'old-timer-password');
  t.match(await storedHash(), /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/, 'the scrypt hash became argon2id');
  await login(app, 'old-timer', 'old-timer-password');

  const weak = await hashPassword('old-timer-password', { memoryKiB: 8192, passes: 2, parallelism: 1 });
  await db.updateTable('users').set({ password_hash: weak }).where('username', '=', 'old-timer').execute();
  await login(app, 'old-timer', 'old-timer-password');
  t.match(await storedHash(), /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/, 'the weaker hash was upgraded');
  const kept = await storedHash();
  await login(app, 'old-timer', 'old-timer-password');
  t.equal(await storedHash(), kept, 'a current hash is left alone');
  const refused = await inject(app, {
    method: 'POST',
    url: '/api/auth/token/',
    payload: { username: 'old-timer', password: 'a-wrong-password' },
  });
  t.equal(refused.statusCode, 401);
});

t.test('login is case-insensitive on the username and answers a token pair', async (t) => {
  const pair = await login(app, 'KNOWN', 'the-right-password');
  t.type(pair.access, 'string');
  t.type(pair.refresh, 'string');
  const me = await inject(app, { method: 'GET', url: '/api/v1/user', token: pair.access });
  t.equal(me.json().username, 'known');
  t.equal(config.jwt.accessTtlSeconds, 3600);
});

t.test('bad login bodies are a 400', async (t) => {
  for (const payload of [
    {},
    { username: 'known' },
    { username: '', password: 'x' },
    { username: 'known', password: '' },
  ]) {
    const res = await inject(app, { method: 'POST', url: '/api/auth/token/', payload });
    t.equal(res.statusCode, 400, JSON.stringify(payload));
  }
});
