import { createHash, generateKeyPairSync } from 'node:crypto';
import { sql } from 'kysely';
import t from 'tap';
import { ROLE_PERMISSIONS } from '../../src/auth/permissions.ts';
import { inject, TEST_JWT_SECRET } from '../helpers/app.ts';
import { rowCount } from '../helpers/database.ts';
import { authTestApp, decodePayload, jwt, login, now, register } from './fixtures.ts';

const { app, db, config } = await authTestApp(t);
await register(app, 'alice');

const refreshCall = (refresh: string) =>
  inject(app, { method: 'POST', url: '/api/auth/token/refresh/', payload: { refresh } });
const revokeCall = (refresh: string) =>
  inject(app, { method: 'POST', url: '/api/auth/token/revoke/', payload: { refresh } });
const me = (token: string) => inject(app, { method: 'GET', url: '/api/v1/user', token });

async function family(refresh: string) {
  const hash = createHash('sha256').update(refresh).digest('base64url');
  const row = await db
    .selectFrom('refresh_tokens')
    .select('family_id')
    .where('token_hash', '=', hash)
    .executeTakeFirstOrThrow();
  return db
    .selectFrom('refresh_tokens')
    .selectAll()
    .where('family_id', '=', row.family_id)
    .orderBy('id')
    .execute();
}

t.test('access tokens carry sub, username, role, permissions, iat, exp, iss, aud', async (t) => {
  const { access } = await login(app, 'alice');
  const claims = decodePayload(access);
  t.match(claims, {
    sub: /^\d+$/,
    username: 'alice',
    role: 'member',
    permissions: [],
    iss: config.jwt.issuer,
    aud: config.jwt.audience,
  });
  t.equal(Number(claims.exp) - Number(claims.iat), config.jwt.accessTtlSeconds);
  t.equal(JSON.parse(Buffer.from(access.split('.')[0]!, 'base64url').toString()).alg, 'HS256');
});

t.test('bad access tokens are a 401 with WWW-Authenticate: Bearer', async (t) => {
  const { access } = await login(app, 'alice');
  const claims = decodePayload(access);
  const [header, , signature] = access.split('.');
  const past = Date.now() - 2 * 3600_000;
  const cases: Record<string, string> = {
    expired: app.jwt.sign(
      { sub: String(claims.sub), username: 'alice', role: 'member', permissions: [] },
      { clockTimestamp: past },
    ),
    'tampered payload': `${header}.${Buffer.from(
      JSON.stringify({ ...claims, role: 'admin', permissions: ROLE_PERMISSIONS.admin }),
    ).toString('base64url')}.${signature}`,
    'tampered signature': `${access.slice(0, -4)}AAAA`,
    'signed with another key': jwt(
      { alg: 'HS256', typ: 'JWT' },
      { ...claims, exp: now() + 600 },
      'another-secret-that-is-also-long-enough-0123456789',
    ),
    'alg none': jwt({ alg: 'none', typ: 'JWT' }, { ...claims, exp: now() + 600 }),
    'RS256 with no identity provider configured': jwt(
      { alg: 'RS256', typ: 'JWT', kid: 'k' },
      { ...claims, exp: now() + 600 },
      generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
    ),
    'wrong issuer': jwt(
      { alg: 'HS256', typ: 'JWT' },
      { ...claims, iss: 'someone-else', exp: now() + 600 },
      TEST_JWT_SECRET,
    ),
    'wrong audience': jwt(
      { alg: 'HS256', typ: 'JWT' },
      { ...claims, aud: 'someone-else', exp: now() + 600 },
      TEST_JWT_SECRET,
    ),
    'non-numeric subject': jwt(
      { alg: 'HS256', typ: 'JWT' },
      { ...claims, sub: 'auth0|abc', exp: now() + 600 },
      TEST_JWT_SECRET,
    ),
    garbage: 'not.a.jwt',
  };
  t.equal((await me(access)).statusCode, 200, 'the untouched token works');
  for (const [name, token] of Object.entries(cases)) {
    const res = await me(token);
    t.equal(res.statusCode, 401, name);
    t.equal(res.headers['www-authenticate'], 'Bearer', name);
    t.same(res.json(), { success: false, error: 401, code: 'unauthorized', message: 'invalid or expired token' }, name);
  }
});

t.test('a member hitting casting endpoints is a 403; no token is a 401', async (t) => {
  const { access } = await login(app, 'alice');
  for (const [method, url] of [
    ['GET', '/actors'],
    ['GET', '/movies/1'],
    ['POST', '/movies'],
    ['DELETE', '/actors/1'],
    ['GET', '/api/v1/users'],
  ] as const) {
    const res = await inject(app, {
      method,
      url,
      token: access,
      payload: method === 'POST' ? {} : undefined,
    });
    t.equal(res.statusCode, 403, `${method} ${url}`);
    t.match(res.json().message, /missing permission/);
    const anonymous = await inject(app, { method, url, payload: method === 'POST' ? {} : undefined });
    t.equal(anonymous.statusCode, 401, `${method} ${url} without a token`);
  }
});

t.test('refresh rotates: a new pair each time, the old refresh token spent', async (t) => {
  const first = await login(app, 'alice');
  const second = (await refreshCall(first.refresh)).json();
  t.type(second.access, 'string');
  t.not(second.refresh, first.refresh);
  const third = await refreshCall(second.refresh);
  t.equal(third.statusCode, 200);
  t.equal((await me(third.json().access)).statusCode, 200);

  const rows = await family(first.refresh);
  t.equal(rows.length, 3, 'one family of three tokens');
  t.ok(rows[0]?.used_at && rows[1]?.used_at && !rows[2]?.used_at, 'all but the newest spent');
  t.ok(
    rows.every((row) => row.revoked_at === null),
    'none revoked',
  );
  const stored = await db.selectFrom('refresh_tokens').select('token_hash').execute();
  t.notOk(
    stored.some((row) => [first.refresh, second.refresh].includes(row.token_hash)),
    'only hashes are stored',
  );
});

t.test('presenting a spent refresh token revokes its whole family, and only it', async (t) => {
  const stolen = await login(app, 'alice');
  const other = await login(app, 'alice');
  const rotated = (await refreshCall(stolen.refresh)).json();

  const reuse = await refreshCall(stolen.refresh);
  t.equal(reuse.statusCode, 401);
  t.match(reuse.json(), { success: false, error: 401, code: 'unauthorized', message: /already used/ });
  t.ok(
    (await family(stolen.refresh)).every((row) => row.revoked_at !== null),
    'every token of the family revoked',
  );
  const before = await rowCount(db, 'refresh_tokens');
  t.equal((await refreshCall(rotated.refresh)).statusCode, 401, 'the newest token of the family is dead too');
  t.equal(await rowCount(db, 'refresh_tokens'), before, 'nothing issued');
  t.equal((await refreshCall(other.refresh)).statusCode, 200, "another login's family is untouched");
});

t.test('two concurrent refreshes with one token: at most one succeeds', async (t) => {
  const pair = await login(app, 'alice');
  const results = await Promise.all([refreshCall(pair.refresh), refreshCall(pair.refresh)]);
  const codes = results.map((r) => r.statusCode).sort();
  t.same(codes, [200, 401]);
  // The loser's request looks like reuse: the family is revoked, so the winner must log in again.
  const winner = results.find((r) => r.statusCode === 200)!.json();
  t.equal((await refreshCall(winner.refresh)).statusCode, 401);
});

t.test('revoke logs out: 204, then that family cannot refresh; others can', async (t) => {
  const pair = await login(app, 'alice');
  const other = await login(app, 'alice');
  const rotated = (await refreshCall(pair.refresh)).json();
  const res = await revokeCall(rotated.refresh);
  t.equal(res.statusCode, 204);
  t.equal(res.body, '');
  t.equal((await refreshCall(rotated.refresh)).statusCode, 401);
  t.equal((await revokeCall(rotated.refresh)).statusCode, 401, 'already revoked');
  t.ok((await family(pair.refresh)).every((row) => row.revoked_at !== null));
  t.equal((await refreshCall(other.refresh)).statusCode, 200);
  t.equal((await me(rotated.access)).statusCode, 200, 'access tokens live until they expire');
});

t.test('unknown, expired and malformed refresh tokens are a 401 or 400; nothing issued', async (t) => {
  const { access } = await login(app, 'alice');
  const pair = await login(app, 'alice');
  await db
    .updateTable('refresh_tokens')
    .set({ expires_at: sql<Date>`now() - interval '1 second'` })
    .where('token_hash', '=', createHash('sha256').update(pair.refresh).digest('base64url'))
    .execute();
  const before = await rowCount(db, 'refresh_tokens');
  for (const refresh of [pair.refresh, 'unknown-token', access]) {
    const res = await refreshCall(refresh);
    t.equal(res.statusCode, 401);
    t.same(res.json(), { success: false, error: 401, code: 'unauthorized', message: 'invalid, expired or revoked refresh token' });
    t.equal((await revokeCall(refresh)).statusCode, 401);
  }
  t.equal(await rowCount(db, 'refresh_tokens'), before, 'nothing issued');
  for (const payload of [{}, { refresh: '' }, { refresh: 42 }, { refresh: 'x', extra: 1 }]) {
    t.equal(
      (await inject(app, { method: 'POST', url: '/api/auth/token/refresh/', payload })).statusCode,
      400,
    );
  }
});

t.test('refresh tokens outlive neither REFRESH_TOKEN_TTL nor their user', async (t) => {
  const { app: shortApp, db: shortDb } = await authTestApp(t, { REFRESH_TOKEN_TTL: '60' });
  await register(shortApp, 'brief');
  const { refresh } = await login(shortApp, 'brief');
  const row = await shortDb
    .selectFrom('refresh_tokens')
    .select(sql<number>`extract(epoch from expires_at - created_at)`.as('ttl'))
    .where('token_hash', '=', createHash('sha256').update(refresh).digest('base64url'))
    .executeTakeFirstOrThrow();
  t.ok(Math.abs(Number(row.ttl) - 60) < 5, `stored lifetime ${row.ttl}s`);
  await shortDb.deleteFrom('users').where('username', '=', 'brief').execute();
  const res = await inject(shortApp, {
    method: 'POST',
    url: '/api/auth/token/refresh/',
    payload: { refresh },
  });
  t.equal(res.statusCode, 401);
});

t.test('ACCESS_TOKEN_TTL sets the lifetime of every access token Marquee signs', async (t) => {
  const { app: shortApp } = await authTestApp(t, { ACCESS_TOKEN_TTL: '120' });
  const registered = await register(shortApp, 'fleeting');
  const pair = await login(shortApp, 'fleeting');
  const refreshed = await inject(shortApp, {
    method: 'POST',
    url: '/api/auth/token/refresh/',
    payload: { refresh: pair.refresh },
  });
  for (const [how, token] of [
    ['registration', registered.access_token],
    ['login', pair.access],
    ['refresh', refreshed.json().access],
  ] as const) {
    const claims = decodePayload(token);
    t.equal(Number(claims.exp) - Number(claims.iat), 120, how);
  }
});
