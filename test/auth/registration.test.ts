import t from 'tap';
import { buildTestApp, inject } from '../helpers/app.ts';
import { client } from '../helpers/client.ts';
import { rowCount } from '../helpers/database.ts';
import { authTestApp, register } from './fixtures.ts';

const { app, db } = await authTestApp(t);
const api = client(app);

t.test('usernames are unique whatever their case: 409, and one row', async (t) => {
  await register(app, 'Maya');
  const before = await rowCount(db, 'users');
  for (const username of ['maya', 'MAYA', ' maya ']) {
    const res = await api.POST('/register/', { body: { username, password: 'another-password' } });
    t.equal(res.response.status, 409, username);
    t.same(res.error, { success: false, error: 409, code: 'username_taken', message: 'username already taken' });
  }
  t.equal(await rowCount(db, 'users'), before, 'nothing written');
});

t.test('concurrent registrations of one name: exactly one 201 and one 409', async (t) => {
  for (let round = 0; round < 3; round++) {
    const name = `racer-${round}`;
    const results = await Promise.all(
      [name, name.toUpperCase()].map((username) =>
        api.POST('/register/', { body: { username, password: 'racing-password' } }),
      ),
    );
    t.same(results.map((r) => r.response.status).sort(), [201, 409], `round ${round}`);
    const rows = await db
      .selectFrom('users')
      .select('username')
      .where((eb) => eb(eb.fn('lower', ['username']), '=', name))
      .execute();
    t.equal(rows.length, 1, 'one row for the name');
  }
});

t.test('concurrent registrations of one email: exactly one 201 and one 409', async (t) => {
  const results = await Promise.all(
    ['Same@Example.com', 'same@example.com'].map((email) =>
      api.POST('/api/v1/user', { body: { email, password: 'racing-password' } }),
    ),
  );
  t.same(results.map((r) => r.response.status).sort(), [201, 409]);
  t.same(results.find((r) => r.response.status === 409)?.error?.message, 'email already in use');
});

t.test('emails are unique whatever their case, across both registrations', async (t) => {
  const first = await api.POST('/api/auth/register/', {
    body: { username: 'first', password: 'first-password', email: 'Shared@Example.com' },
  });
  t.equal(first.response.status, 201);
  const before = await rowCount(db, 'users');
  const second = await api.POST('/api/auth/register/', {
    body: { username: 'second', password: 'second-password', email: 'shared@example.COM' },
  });
  t.equal(second.response.status, 409);
  t.same(second.error, { success: false, error: 409, code: 'email_taken', message: 'email already in use' });
  const v1 = await api.POST('/api/v1/user', { body: { email: 'shared@example.com', password: 'third-password' } });
  t.equal(v1.response.status, 409);
  t.equal(await rowCount(db, 'users'), before, 'nothing written');
});

t.test('registering by email alone makes the lower-cased email the username', async (t) => {
  const res = await api.POST('/api/v1/user', { body: { email: 'Mixed.Case@Example.com', password: 'mixed-password' } });
  t.equal(res.response.status, 201);
  const row = await db
    .selectFrom('users')
    .selectAll()
    .where('id', '=', res.data?.id ?? 0)
    .executeTakeFirstOrThrow();
  t.equal(row.username, 'mixed.case@example.com');
  t.equal(row.email, 'Mixed.Case@Example.com');
  t.equal(row.role, 'member');
  // Such users log in with the email on the username endpoints too.
  const token = await api.POST('/api/auth/token/', {
    body: { username: 'MIXED.CASE@example.com', password: 'mixed-password' },
  });
  t.equal(token.response.status, 200);
});

t.test('a username already taken by an email-registered user is a 409 for /api/v1/user', async (t) => {
  await register(app, 'owner@example.com');
  const res = await api.POST('/api/v1/user', { body: { email: 'owner@example.com', password: 'owner-password' } });
  t.equal(res.response.status, 409);
  t.equal(res.error?.message, 'email already in use');
});

t.test('weak, over-long and missing passwords are a 400 naming the field; nothing is written', async (t) => {
  const before = await rowCount(db, 'users');
  const cases: [string, Record<string, unknown>][] = [
    ['seven characters', { username: 'weak', password: '1234567' }],
    ['1025 characters', { username: 'long', password: 'x'.repeat(1025) }],
    // 342 three-byte characters: under 1024 characters, over 1024 bytes.
    ['over 1024 bytes', { username: 'bytes', password: '€'.repeat(342) }],
    ['missing', { username: 'nopass' }],
    ['not a string', { username: 'number', password: 12345678 }],
  ];
  for (const [name, payload] of cases) {
    for (const url of ['/register/', '/api/auth/register/']) {
      const res = await inject(app, { method: 'POST', url, payload });
      t.equal(res.statusCode, 400, `${name} at ${url}`);
      t.match(res.json(), { success: false, error: 400, details: [{ field: 'password' }] }, name);
    }
  }
  t.equal(await rowCount(db, 'users'), before, 'nothing written');

  const edge = await api.POST('/register/', { body: { username: 'edge', password: '€'.repeat(341) } });
  t.equal(edge.response.status, 201, '1023 bytes are fine');
  const eight = await api.POST('/register/', { body: { username: 'eight', password: '12345678' } });
  t.equal(eight.response.status, 201, 'eight characters are fine');
});

t.test('PASSWORD_MIN_LENGTH raises the minimum', async (t) => {
  const strict = await buildTestApp(t, { PASSWORD_MIN_LENGTH: '12' });
  const strictApi = client(strict.app);
  const res = await strictApi.POST('/register/', { body: { username: 'strict', password: 'eleven-char' } });
  t.equal(res.response.status, 400);
  t.same(res.error?.details, [{ field: 'password', message: 'must be at least 12 characters' }]);
  t.equal(await rowCount(strict.db, 'users'), 0);
  // Characters, not bytes: twelve emoji are twelve.
  const emoji = await strictApi.POST('/register/', { body: { username: 'emoji', password: '🎬'.repeat(12) } });
  t.equal(emoji.response.status, 201);
});

t.test('blank usernames and fields nobody may set are refused; nothing is written', async (t) => {
  const before = await rowCount(db, 'users');
  const blank = await api.POST('/register/', { body: { username: '   ', password: 'blank-password' } });
  t.equal(blank.response.status, 400);
  t.match(blank.error, { details: [{ field: 'username', message: 'must not be blank' }] });
  for (const extra of [{ role: 'admin' }, { is_staff: true }, { id: 1 }]) {
    const res = await api.POST('/api/auth/register/', {
      body: { username: 'climber', password: 'climber-password', ...extra },
    });
    t.equal(res.response.status, 400, JSON.stringify(extra));
  }
  t.equal(await rowCount(db, 'users'), before, 'nothing written');
});

t.test('usernames are stored trimmed; new users are members', async (t) => {
  const res = await api.POST('/api/auth/register/', { body: { username: '  spaced  ', password: 'spaced-password' } });
  t.equal(res.response.status, 201);
  t.match(res.data, { username: 'spaced', role: 'member', is_staff: false, permissions: [] });
  const row = await db
    .selectFrom('users')
    .selectAll()
    .where('username', '=', 'spaced')
    .executeTakeFirstOrThrow();
  t.match(row.password_hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/, 'a hash is stored, not the password');
  t.notMatch(row.password_hash, /spaced-password/);
});
