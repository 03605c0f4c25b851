import t, { type Test } from 'tap';
import { buildTestApp, inject } from '../helpers/app.ts';
import { snapshotAllTables } from '../helpers/snapshot.ts';
import { createUser } from '../helpers/users.ts';

const { app, db } = await buildTestApp(t, { RATE_LIMIT_AUTH_MAX: '10000' });
const admin = await createUser(app, db, { role: 'admin' });
const member = await createUser(app, db);

/** The request must be a 400 in the error shape naming `field`, and change no row of any table. */
async function refusedNaming(
  t: Test,
  field: string,
  request: Parameters<typeof inject>[1],
): Promise<void> {
  const before = await snapshotAllTables(db);
  const res = await inject(app, request);
  const what = `${request.method} ${request.url} ${String(request.payload ?? '')}`;
  t.equal(res.statusCode, 400, what);
  t.ok(
    res.json().details?.some((d: { field: string }) => d.field === field),
    `${what}: details name ${field} (${res.body})`,
  );
  t.same(await snapshotAllTables(db), before, `${what}: nothing written`);
}

t.test('NUL and lone surrogates are a 400 naming the field in every string field, JSON or form', async (t) => {
  const { id: collection } = await (async () => {
    const res = await inject(app, {
      method: 'POST',
      url: '/collection/',
      token: member.token,
      payload: { title: 'kept', movies: [] },
    });
    return { id: res.json().collection_uuid as string };
  })();
  for (const bad of ['a\u0000b', 'a\ud800b', '\udc00']) {
    // A form body is UTF-8 percent-encoded: it can carry NUL, but no lone surrogate (it would decode to U+FFFD).
    const form = bad.includes('\u0000');
    const register = { username: 'newcomer', password: 'correct-horse-battery', first_name: 'A', last_name: 'B' };
    for (const field of ['username', 'first_name', 'last_name', 'password'] as const) {
      const body = { ...register, [field]: bad };
      await refusedNaming(t, field, { method: 'POST', url: '/api/auth/register/', payload: body });
      if (form) await refusedNaming(t, field, {
        method: 'POST',
        url: '/api/auth/register/',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(body).toString(),
      });
    }
    await refusedNaming(t, 'username', {
      method: 'POST',
      url: '/api/auth/token/',
      payload: { username: bad, password: 'correct-horse-battery' },
    });
    if (form) await refusedNaming(t, 'username', {
      method: 'POST',
      url: '/api/auth/token/',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ username: bad, password: 'correct-horse-battery' }).toString(),
    });
    for (const field of ['title', 'description']) {
      await refusedNaming(t, field, {
        method: 'POST',
        url: '/collection/',
        token: member.token,
        payload: { title: 'ok', movies: [], [field]: bad },
      });
      await refusedNaming(t, field, {
        method: 'PUT',
        url: `/collection/${collection}/`,
        token: member.token,
        payload: { [field]: bad },
      });
    }
  }
});

t.test('a path id that is not canonical decimal within 1…2147483647 is a 400 and touches nothing', async (t) => {
  const actor = await inject(app, {
    method: 'POST',
    url: '/actors',
    token: admin.token,
    payload: { name: 'Kept', age: 40, gender: 'F' },
  });
  const id: number = actor.json().actor.id;
  const spellings = [
    `0x${id.toString(16)}`,
    `${id}e0`,
    `+${id}`,
    `%20${id}`,
    `${id}%20`,
    `0${id}`,
    `${id}.0`,
    'Infinity',
    '-1',
    '0',
    '2147483648',
    '99999999999999999999',
  ];
  for (const spelling of spellings) {
    for (const [method, url] of [
      ['DELETE', `/actors/${spelling}`],
      ['GET', `/actors/${spelling}`],
      ['PATCH', `/actors/${spelling}`],
      ['GET', `/actor-details/${spelling}`],
      ['DELETE', `/movies/${spelling}`],
      ['DELETE', `/api/messages/${spelling}`],
      ['PATCH', `/api/v1/users/${spelling}`],
    ] as const) {
      await refusedNaming(t, 'id', {
        method,
        url,
        token: admin.token,
        ...(method === 'PATCH' ? { payload: url.includes('users') ? { role: 'admin' } : { age: 1 } } : {}),
      });
    }
  }
  const still = await inject(app, { method: 'GET', url: `/actors/${id}`, token: admin.token });
  t.equal(still.statusCode, 200, 'the actor is still there');
  t.equal(still.json().actor.age, 40);
});

t.test('huge or non-decimal page, limit and offset are a 400 or an empty page, never a 5xx', async (t) => {
  for (const url of [
    '/api/v1/users?page=99999999999999999999',
    '/api/v1/users?page=Infinity',
    '/api/v1/users?limit=1e2',
    '/api/messages?offset=Infinity',
    '/api/messages?offset=99999999999999999999',
    '/api/messages?limit=0x10',
    '/actors?page=9007199254740992',
    '/movies?page=%201',
  ]) {
    const field = new URL(url, 'http://x').searchParams.keys().next().value!;
    await refusedNaming(t, field, { method: 'GET', url, token: admin.token });
  }
  for (const url of ['/api/v1/users?page=9007199254740991&limit=100', '/api/messages?offset=2147483647', '/actors?page=9007199254740991']) {
    const res = await inject(app, { method: 'GET', url, token: admin.token });
    t.equal(res.statusCode, 200, url);
  }
});

t.test('a body of many unknown fields: a 400 listing the first 20 and how many more, not one item each', async (t) => {
  const fields = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`extra${i}`, 1]));
  for (const [type, payload] of [
    ['application/json', JSON.stringify({ ...fields, content: 'hello' })],
    ['application/x-www-form-urlencoded', new URLSearchParams({ ...fields, username: 'a', password: 'b' }).toString()],
  ] as const) {
    const url = type === 'application/json' ? '/api/messages' : '/api/auth/token/';
    const before = await snapshotAllTables(db);
    const res = await inject(app, { method: 'POST', url, token: member.token, payload, headers: { 'content-type': type } });
    t.equal(res.statusCode, 400, type);
    const { details } = res.json() as { details: { field: string; message: string }[] };
    t.equal(details.length, 21, `${type}: 20 problems and a count`);
    t.same(details[0], { field: 'extra0', message: 'is not allowed' }, `${type}: the first is named`);
    t.same(details[20], { field: 'body', message: 'and 4980 more problems' }, `${type}: the rest are counted`);
    t.ok(res.body.length < 4096, `${type}: a small answer (${res.body.length} bytes)`);
    t.same(await snapshotAllTables(db), before, `${type}: nothing written`);
  }
});
