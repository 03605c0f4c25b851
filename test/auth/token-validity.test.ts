import t from 'tap';
import { HTTP_METHODS, loadSpec } from '../../src/spec/index.ts';
import { inject, TEST_JWT_SECRET } from '../helpers/app.ts';
import { snapshotAllTables } from '../helpers/snapshot.ts';
import { createUser } from '../helpers/users.ts';
import { authTestApp, decodePayload, jwt, login, now, register } from '../auth/fixtures.ts';

const { app, db } = await authTestApp(t);
const me = (token: string) => inject(app, { method: 'GET', url: '/api/v1/user', token });

/** Every operation of the spec that needs a bearer token, with its path filled in. */
function securedOperations(): { method: string; url: string }[] {
  const { document } = loadSpec();
  const global = (document as { security?: unknown[] }).security ?? [];
  const found: { method: string; url: string }[] = [];
  for (const [template, item] of Object.entries(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = (item as Record<string, { security?: Record<string, unknown>[] }>)[method];
      if (!operation) continue;
      const security = operation.security ?? global;
      if (!security.some((requirement) => 'bearerAuth' in (requirement as object))) continue;
      const url = template
        .replaceAll('{id}', '1')
        .replace(/\{[a-z_]*uuid\}/g, '6f1c2d3e-4b5a-4c6d-8e7f-1a2b3c4d5e6f');
      found.push({ method: method.toUpperCase(), url });
    }
  }
  return found;
}

t.test('a valid token whose user was deleted is a 401 on every secured operation, and writes nothing', async (t) => {
  const gone = await createUser(app, db, { role: 'admin' });
  await db.deleteFrom('users').where('id', '=', gone.id).execute();
  const operations = securedOperations();
  t.ok(operations.length >= 20, `${operations.length} secured operations`);
  const before = await snapshotAllTables(db);
  for (const { method, url } of operations) {
    const res = await inject(app, {
      method: method as 'GET',
      url,
      token: gone.token,
      ...(method === 'GET' || method === 'DELETE' ? {} : { payload: { title: 'x', movies: [], content: 'x' } }),
    });
    t.equal(res.statusCode, 401, `${method} ${url}`);
    t.equal(res.headers['www-authenticate'], 'Bearer');
  }
  t.same(await snapshotAllTables(db), before, 'nothing written');
});

t.test('a demoted admin’s old token may read but not manage users; refresh issues the current role', async (t) => {
  await register(app, 'demoted');
  const user = await db
    .selectFrom('users')
    .select('id')
    .where('username', '=', 'demoted')
    .executeTakeFirstOrThrow();
  await db.updateTable('users').set({ role: 'admin' }).where('id', '=', user.id).execute();
  const asAdmin = await login(app, 'demoted');
  t.equal(decodePayload(asAdmin.access).role, 'admin');
  const other = await createUser(app, db, { role: 'admin' });
  const demote = await inject(app, {
    method: 'PATCH',
    url: `/api/v1/users/${user.id}`,
    token: other.token,
    payload: { role: 'member' },
  });
  t.equal(demote.statusCode, 200);

  const before = await snapshotAllTables(db);
  const selfPromotion = await inject(app, {
    method: 'PATCH',
    url: `/api/v1/users/${user.id}`,
    token: asAdmin.access,
    payload: { role: 'admin' },
  });
  t.equal(selfPromotion.statusCode, 403, 'the old admin token cannot manage users');
  t.equal(
    (await inject(app, { method: 'GET', url: '/api/v1/users', token: asAdmin.access })).statusCode,
    403,
  );
  t.equal((await inject(app, { method: 'POST', url: '/request-count/reset/', token: asAdmin.access })).statusCode, 403);
  t.same(await snapshotAllTables(db), before, 'nothing written');

  const read = await me(asAdmin.access);
  t.equal(read.statusCode, 200, 'the old token may still read');
  t.match(read.json(), { role: 'member', is_staff: false });

  const refreshed = await inject(app, {
    method: 'POST',
    url: '/api/auth/token/refresh/',
    payload: { refresh: asAdmin.refresh },
  });
  t.equal(refreshed.statusCode, 200);
  t.match(decodePayload(refreshed.json().access), { role: 'member', permissions: [] });
});

t.test('tokens without exp, iss or aud, issued in the future, or with a non-canonical sub are a 401', async (t) => {
  const user = await createUser(app, db);
  const header = { alg: 'HS256', typ: 'JWT' };
  const valid = {
    sub: String(user.id),
    username: user.username,
    role: 'member',
    permissions: [],
    iss: 'marquee',
    aud: 'marquee',
    iat: now(),
    exp: now() + 600,
  };
  t.equal((await me(jwt(header, valid, TEST_JWT_SECRET))).statusCode, 200, 'the well-formed token works');
  t.equal(
    (await me(jwt(header, { ...valid, iat: now() + 10 }, TEST_JWT_SECRET))).statusCode,
    200,
    'a few seconds of clock difference are tolerated',
  );
  const without = (claim: keyof typeof valid) => {
    const { [claim]: _dropped, ...rest } = valid;
    return rest;
  };
  const cases: [string, Record<string, unknown>][] = [
    ['no exp', without('exp')],
    ['no iss', without('iss')],
    ['no aud', without('aud')],
    ['no iat', without('iat')],
    ['no sub', without('sub')],
    ['iat an hour ahead', { ...valid, iat: now() + 3600, exp: now() + 7200 }],
    ['expired beyond the leeway', { ...valid, iat: now() - 7200, exp: now() - 3600 }],
    ['sub " 6"', { ...valid, sub: ` ${user.id}` }],
    ['sub "6.0"', { ...valid, sub: `${user.id}.0` }],
    ['sub "06"', { ...valid, sub: `0${user.id}` }],
    ['sub a number', { ...valid, sub: user.id }],
    ['sub 2147483648', { ...valid, sub: '2147483648' }],
    ['sub 99999999999999999999', { ...valid, sub: '99999999999999999999' }],
    ['username not a string', { ...valid, username: 5 }],
  ];
  for (const [label, payload] of cases) {
    for (const [method, url] of [
      ['GET', '/api/v1/user'],
      ['POST', '/collection/'],
    ] as const) {
      const res = await inject(app, {
        method,
        url,
        token: jwt(header, payload, TEST_JWT_SECRET),
        ...(method === 'POST' ? { payload: { title: 'x', movies: [] } } : {}),
      });
      t.equal(res.statusCode, 401, `${label}: ${method} ${url}`);
    }
  }
});

t.test('a token living longer than the configured access lifetime plus the leeway is a 401', async (t) => {
  const user = await createUser(app, db);
  const ttl = app.deps.config.jwt.accessTtlSeconds;
  const header = { alg: 'HS256', typ: 'JWT' };
  const token = (iat: number, exp: number) =>
    jwt(header, { sub: String(user.id), username: user.username, iss: 'marquee', aud: 'marquee', iat, exp }, TEST_JWT_SECRET);
  const issued = now();
  t.equal((await me(token(issued, issued + ttl))).statusCode, 200, 'the configured lifetime is accepted');
  t.equal((await me(token(issued, issued + ttl + 20))).statusCode, 200, 'within the leeway is accepted');
  for (const [label, exp] of [
    ['a lifetime past the leeway', issued + ttl + 120],
    ['a year', issued + 365 * 24 * 3600],
    ['exp 1e300', 1e300],
  ] as const) {
    const res = await me(token(issued, exp));
    t.equal(res.statusCode, 401, label);
    t.match(res.json(), { success: false, error: 401, code: 'unauthorized' }, `${label}: the error shape`);
  }
});
