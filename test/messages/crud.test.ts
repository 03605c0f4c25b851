import t from 'tap';
import { inject, signedToken, tokenFor } from '../helpers/app.ts';
import {
  E_ACUTE,
  EMOJI,
  FAMILY,
  ISO_WITH_OFFSET,
  insertMessage,
  messageBoard,
  postMessage,
  snapshot,
  storedMessage,
  viewsOf,
} from './fixtures.ts';

const { app, db, alice, bob, admin, api, asAlice } = await messageBoard(t);

t.test('POST creates a message authored by the caller, with 0 views', async (t) => {
  const res = await asAlice.POST('/api/messages', { body: { content: 'message content' } });
  t.equal(res.response.status, 201);
  const body = res.data!;
  t.match(body, { content: 'message content', views: 0, author: { id: alice.id, username: 'alice' } });
  t.match(body.created_at, ISO_WITH_OFFSET);
  t.match(body.updated_at, ISO_WITH_OFFSET);
  const row = await storedMessage(db, body.id);
  t.same(
    { author_id: row.author_id, content: row.content, views: row.views },
    { author_id: alice.id, content: 'message content', views: 0 },
  );
  t.equal(new Date(body.created_at).getTime(), Math.floor(row.created_at.getTime()), 'created_at as stored');
});

t.test('content is stored exactly as sent: no trimming, no normalisation', async (t) => {
  for (const content of ['  padded  ', `caf${E_ACUTE}`, 'café', 'line\nbreak']) {
    const body = await postMessage(app, alice.token, content);
    t.equal(body.content, content, JSON.stringify(content));
    const row = await storedMessage(db, body.id);
    t.equal(row.content, content, `${JSON.stringify(content)} stored unchanged`);
  }
});

t.test('content of 1 and 160 code points is accepted, at every width of character', async (t) => {
  const accepted: [string, string][] = [
    ['1 ASCII character', 'a'],
    ['1 emoji', EMOJI],
    ['1 combining accent on its own', '\u0301'],
    ['160 ASCII characters', 'x'.repeat(160)],
    ['160 emoji (320 UTF-16 units)', EMOJI.repeat(160)],
    ['80 e + combining accent (80 graphemes)', E_ACUTE.repeat(80)],
    ['32 five-code-point family emoji', FAMILY.repeat(32)],
    ['159 ASCII + 1 emoji', `${'x'.repeat(159)}${EMOJI}`],
  ];
  for (const [name, content] of accepted) {
    const res = await asAlice.POST('/api/messages', { body: { content } });
    t.equal(res.response.status, 201, name);
    const row = await db
      .selectFrom('messages')
      .select((eb) => ['content', eb.fn<number>('char_length', ['content']).as('length')])
      .where('id', '=', res.data!.id)
      .executeTakeFirst();
    t.same(
      row,
      { content, length: [...content].length },
      `${name}: stored, and the database counts the same`,
    );
  }
});

t.test('bad content is a 400 naming the field, and nothing is written', async (t) => {
  const refused: [string, unknown, string][] = [
    ['empty', { content: '' }, 'content'],
    ['161 ASCII characters', { content: 'x'.repeat(161) }, 'content'],
    ['161 emoji', { content: EMOJI.repeat(161) }, 'content'],
    ['160 ASCII + 1 combining accent', { content: `${'x'.repeat(160)}\u0301` }, 'content'],
    ['80 e + accent, then one more e', { content: `${E_ACUTE.repeat(80)}e` }, 'content'],
    ['32 family emoji and one more code point', { content: `${FAMILY.repeat(32)}!` }, 'content'],
    ['a space', { content: ' ' }, 'content'],
    ['tabs and newlines', { content: '\t\n\r\n ' }, 'content'],
    ['no-break and ideographic spaces', { content: '\u00a0\u3000\u2007\u202f' }, 'content'],
    ['a byte order mark', { content: '\ufeff' }, 'content'],
    ['not a string', { content: 42 }, 'content'],
    ['missing', {}, 'content'],
    ['an unknown field', { content: 'ok', views: 99 }, 'views'],
  ];
  const before = await snapshot(db);
  for (const [name, payload, field] of refused) {
    const res = await inject(app, {
      method: 'POST',
      url: '/api/messages',
      token: alice.token,
      payload: payload as object,
    });
    t.equal(res.statusCode, 400, name);
    const body = res.json();
    t.match(body, { success: false, error: 400, code: 'validation_failed', message: String }, `${name}: error shape`);
    t.ok(
      body.details?.some((d: { field: string }) => d.field === field),
      `${name}: details name ${field} (${JSON.stringify(body.details)})`,
    );
  }
  t.same(await snapshot(db), before, 'the table is unchanged');
});

t.test('NUL characters and lone surrogates are a 400, not a 500 or a silently altered message', async (t) => {
  for (const [name, raw] of [
    ['NUL', '{"content":"a\\u0000b"}'],
    ['lone high surrogate', '{"content":"a\\ud83d"}'],
    ['lone low surrogate', '{"content":"\\ude00b"}'],
  ] as const) {
    for (const method of ['POST', 'PUT', 'PATCH'] as const) {
      const message = await postMessage(app, alice.token, 'original');
      const url = method === 'POST' ? '/api/messages' : `/api/messages/${message.id}`;
      const snapshotBefore = await snapshot(db);
      const res = await inject(app, {
        method,
        url,
        token: alice.token,
        headers: { 'content-type': 'application/json' },
        payload: raw,
      });
      t.equal(res.statusCode, 400, `${method} ${name}`);
      t.match(res.json(), { success: false, error: 400, details: [{ field: 'content' }] });
      t.same(await snapshot(db), snapshotBefore, `${method} ${name}: nothing written`);
    }
  }
});

t.test('anonymous or badly signed writes are a 401 with WWW-Authenticate, and change nothing', async (t) => {
  const { id } = await postMessage(app, alice.token, 'protected');
  const before = await snapshot(db);
  // The signature's first character: all six of its bits are signature bits (the last one's low bits are padding,
  // so changing it can leave the signature as it was).
  const forged = (await tokenFor(app, 'admin')).replace(
    /\.(.)([^.]*)$/,
    (_, c: string, rest: string) => `.${c === 'A' ? 'B' : 'A'}${rest}`,
  );
  const requests = [
    { method: 'POST', url: '/api/messages', payload: { content: 'anonymous' } },
    { method: 'PUT', url: `/api/messages/${id}`, payload: { content: 'anonymous' } },
    { method: 'PATCH', url: `/api/messages/${id}`, payload: { content: 'anonymous' } },
    { method: 'DELETE', url: `/api/messages/${id}` },
    // Security runs before validation: an anonymous caller learns nothing from a 400.
    { method: 'POST', url: '/api/messages', payload: { content: '' } },
    { method: 'PATCH', url: `/api/messages/${id}`, payload: { nonsense: true } },
  ] as const;
  for (const request of requests) {
    for (const [who, headers] of [
      ['no token', {}],
      ['a forged token', { authorization: `Bearer ${forged}` }],
      ['not a bearer token', { authorization: 'Basic YWxpY2U6cGFzc3dvcmQ=' }],
    ] as const) {
      const res = await inject(app, { ...request, headers });
      t.equal(res.statusCode, 401, `${request.method} ${request.url} with ${who}`);
      t.equal(res.headers['www-authenticate'], 'Bearer');
      t.match(res.json(), { success: false, error: 401 });
    }
  }
  t.same(await snapshot(db), before, 'nothing changed');
});

t.test('a token whose user no longer exists cannot post', async (t) => {
  const before = await snapshot(db);
  const res = await inject(app, {
    method: 'POST',
    url: '/api/messages',
    token: signedToken(app, 'member', 987_654, 'ghost'),
    payload: { content: 'from beyond' },
  });
  t.equal(res.statusCode, 401);
  t.match(res.json(), { success: false, error: 401, code: 'unauthorized', message: 'the user of this token no longer exists' });
  t.same(await snapshot(db), before, 'nothing written');
});

t.test('a wrong method on a known path is a 405 with Allow', async (t) => {
  const { id } = await postMessage(app, alice.token, 'still here');
  const before = await snapshot(db);
  const cases = [
    ['DELETE', '/api/messages', ['GET', 'POST']],
    ['PUT', '/api/messages', ['GET', 'POST']],
    ['PATCH', '/api/messages/', ['GET', 'POST']],
    // The seed's own README "updates" and "deletes" with POST on the message's URL.
    ['POST', `/api/messages/${id}`, ['GET', 'PUT', 'PATCH', 'DELETE']],
  ] as const;
  for (const [method, url, allowed] of cases) {
    const res = await inject(app, { method, url, token: alice.token, payload: { content: 'x' } });
    t.equal(res.statusCode, 405, `${method} ${url}`);
    const allow = String(res.headers.allow).split(', ');
    for (const m of allowed) t.ok(allow.includes(m), `Allow lists ${m}: ${res.headers.allow}`);
    t.notOk(allow.includes(method), `Allow does not list ${method}`);
    t.match(res.json(), { success: false, error: 405 });
  }
  t.same(await snapshot(db), before, 'nothing changed');
});

t.test('no id, or an id that is not a positive 32-bit integer, is refused', async (t) => {
  const before = await snapshot(db);
  for (const method of ['PUT', 'PATCH', 'DELETE'] as const) {
    const res = await inject(app, {
      method,
      url: '/api/messages/',
      token: alice.token,
      payload: { content: 'x' },
    });
    t.equal(res.statusCode, 405, `${method} /api/messages/ (no id)`);
  }
  for (const id of ['abc', '0', '-1', '1.5', '2147483648']) {
    for (const method of ['GET', 'PUT', 'PATCH', 'DELETE'] as const) {
      const res = await inject(app, {
        method,
        url: `/api/messages/${id}`,
        token: alice.token,
        ...(method === 'PUT' || method === 'PATCH' ? { payload: { content: 'x' } } : {}),
      });
      t.equal(res.statusCode, 400, `${method} /api/messages/${id}`);
      t.match(res.json(), { success: false, error: 400, details: [{ field: 'id' }] });
    }
  }
  t.same(await snapshot(db), before, 'nothing changed');
});

t.test('get, update and delete of a message that does not exist are a specific 404', async (t) => {
  const before = await snapshot(db);
  const missing = 2_147_483_647;
  const cases = [
    ['GET', undefined],
    ['PUT', admin.token],
    ['PATCH', alice.token],
    ['DELETE', alice.token],
  ] as const;
  for (const [method, token] of cases) {
    const res = await inject(app, {
      method,
      url: `/api/messages/${missing}`,
      ...(token ? { token } : {}),
      ...(method === 'PUT' || method === 'PATCH' ? { payload: { content: 'x' } } : {}),
    });
    t.equal(res.statusCode, 404, method);
    t.same(res.json(), { success: false, error: 404, code: 'not_found', message: `message ${missing} not found` });
  }
  t.same(await snapshot(db), before, 'nothing changed');
});

t.test('GET counts a view and returns the incremented row, anonymously or not', async (t) => {
  const stored = await insertMessage(db, alice.id, 'read me');
  const first = await api.GET('/api/messages/{id}', { params: { path: { id: stored.id } } });
  t.equal(first.response.status, 200);
  t.same(first.data, {
    id: stored.id,
    content: 'read me',
    views: 1,
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    author: { id: alice.id, username: 'alice' },
  });
  t.equal(first.response.headers.get('cache-control'), 'no-cache', 'every read reaches the server (a revalidation too) and is counted');
  const second = await inject(app, { method: 'GET', url: `/api/messages/${stored.id}/`, token: bob.token });
  t.equal(second.json().views, 2, 'the trailing-slash form is the same route and counts too');
  // HEAD is GET without the body (RFC 9110), so it is a read like any other.
  const head = await inject(app, { method: 'HEAD', url: `/api/messages/${stored.id}` });
  t.equal(head.statusCode, 200);
  t.equal(await viewsOf(db, stored.id), 3);
  const row = await storedMessage(db, stored.id);
  t.same(row.updated_at, stored.updated_at, 'a view is not an edit: updated_at unchanged');
});
