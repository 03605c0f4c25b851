import t from 'tap';
import { inject } from '../helpers/app.ts';
import { createUser } from '../helpers/users.ts';
import { E_ACUTE, EMOJI, FAMILY, insertMessage, messageBoard, postMessage, snapshot, storedMessage } from './fixtures.ts';

const { app, db, alice, bob, admin, api, asAlice } = await messageBoard(t);

t.test('PUT and PATCH set the content and reset views to 0', async (t) => {
  for (const method of ['PUT', 'PATCH'] as const) {
    const stored = await insertMessage(db, alice.id, 'before');
    await db.updateTable('messages').set({ views: 41 }).where('id', '=', stored.id).execute();
    const res = await inject(app, {
      method,
      url: `/api/messages/${stored.id}`,
      token: alice.token,
      payload: { content: `after ${method}` },
    });
    t.equal(res.statusCode, 200, method);
    const body = res.json();
    t.match(body, {
      id: stored.id,
      content: `after ${method}`,
      views: 0,
      created_at: '2026-01-01T00:00:00.000Z',
      author: { id: alice.id, username: 'alice' },
    });
    t.ok(
      new Date(body.updated_at) > stored.updated_at,
      `${method}: updated_at moved on (${body.updated_at})`,
    );
    const row = await storedMessage(db, stored.id);
    t.same(
      { content: row.content, views: row.views, created_at: row.created_at },
      { content: `after ${method}`, views: 0, created_at: stored.created_at },
      `${method}: stored`,
    );
    t.equal(
      new Date(body.updated_at).getTime(),
      Math.floor(row.updated_at.getTime()),
      'updated_at as stored',
    );
    const next = await api.GET('/api/messages/{id}', { params: { path: { id: stored.id } } });
    t.equal(next.data?.views, 1, `${method}: counting starts again from 0`);
  }
});

t.test('update with too many or no characters is a 400 and changes nothing', async (t) => {
  const { id } = await postMessage(app, alice.token, 'keep me');
  await api.GET('/api/messages/{id}', { params: { path: { id } } });
  const before = await snapshot(db);
  for (const method of ['PUT', 'PATCH'] as const) {
    for (const content of ['x'.repeat(161), EMOJI.repeat(161), '', '   ']) {
      const res = await inject(app, {
        method,
        url: `/api/messages/${id}`,
        token: alice.token,
        payload: { content },
      });
      t.equal(res.statusCode, 400, `${method} ${content.length} UTF-16 units`);
      t.match(res.json(), { success: false, error: 400, details: [{ field: 'content' }] });
    }
  }
  t.same(await snapshot(db), before, 'content and views unchanged');
});

t.test('PUT and PATCH at the 160 boundary: code points, whatever the emoji or combining marks', async (t) => {
  const accepted: [string, string][] = [
    ['160 emoji', EMOJI.repeat(160)],
    ['80 e + combining accent', E_ACUTE.repeat(80)],
    ['32 five-code-point family emoji', FAMILY.repeat(32)],
    ['159 ASCII + 1 emoji', `${'x'.repeat(159)}${EMOJI}`],
  ];
  const refused: [string, string][] = [
    ['161 emoji', EMOJI.repeat(161)],
    ['160 ASCII + 1 combining accent', `${'x'.repeat(160)}\u0301`],
    ['80 e + accent, then one more e', `${E_ACUTE.repeat(80)}e`],
    ['32 family emoji and one more code point', `${FAMILY.repeat(32)}!`],
  ];
  for (const method of ['PUT', 'PATCH'] as const) {
    const { id } = await postMessage(app, alice.token, 'boundary');
    await api.GET('/api/messages/{id}', { params: { path: { id } } });
    const edit = (content: string) =>
      inject(app, { method, url: `/api/messages/${id}`, token: alice.token, payload: { content } });
    for (const [name, content] of refused) {
      const before = await snapshot(db);
      const res = await edit(content);
      t.equal(res.statusCode, 400, `${method} ${name}`);
      t.match(res.json(), { success: false, error: 400, details: [{ field: 'content' }] });
      t.same(await snapshot(db), before, `${method} ${name}: content and views unchanged`);
    }
    for (const [name, content] of accepted) {
      const res = await edit(content);
      t.equal(res.statusCode, 200, `${method} ${name}`);
      t.match(res.json(), { content, views: 0 });
      const row = await db
        .selectFrom('messages')
        .select((eb) => ['content', eb.fn<number>('char_length', ['content']).as('length')])
        .where('id', '=', id)
        .executeTakeFirst();
      t.same(row, { content, length: 160 }, `${method} ${name}: stored as sent, 160 code points`);
    }
  }
});

t.test('DELETE removes the message: 204 with no body, then 404', async (t) => {
  const { id } = await postMessage(app, alice.token, 'short-lived');
  const res = await asAlice.DELETE('/api/messages/{id}', { params: { path: { id } } });
  t.equal(res.response.status, 204);
  t.equal(await res.response.text(), '');
  t.equal(await db.selectFrom('messages').select('id').where('id', '=', id).executeTakeFirst(), undefined);
  const again = await asAlice.DELETE('/api/messages/{id}', { params: { path: { id } } });
  t.equal(again.response.status, 404);
  t.equal((await api.GET('/api/messages/{id}', { params: { path: { id } } })).response.status, 404);
});

t.test("another user's PUT, PATCH and DELETE are a 403 and change nothing", async (t) => {
  const { id } = await postMessage(app, alice.token, "alice's words");
  await api.GET('/api/messages/{id}', { params: { path: { id } } });
  const before = await snapshot(db);
  const director = await createUser(app, db, { role: 'casting_director' });
  for (const intruder of [bob, director]) {
    for (const method of ['PUT', 'PATCH', 'DELETE'] as const) {
      const res = await inject(app, {
        method,
        url: `/api/messages/${id}`,
        token: intruder.token,
        ...(method === 'DELETE' ? {} : { payload: { content: 'hijacked' } }),
      });
      t.equal(res.statusCode, 403, `${intruder.role} ${method}`);
      t.same(res.json(), {
        success: false,
        error: 403,
        code: 'forbidden',
        message: `only the author of message ${id} or an admin may ${method === 'DELETE' ? 'delete' : 'change'} it`,
      });
    }
  }
  t.same(await snapshot(db), before, 'content, views and timestamps unchanged');
});

t.test('an admin may change and delete anyone’s message; the author stays the author', async (t) => {
  for (const [name, token] of [
    ['an admin user', admin.token],
  ] as const) {
    const { id } = await postMessage(app, alice.token, 'moderate me');
    for (const method of ['PUT', 'PATCH'] as const) {
      await api.GET('/api/messages/{id}', { params: { path: { id } } });
      const res = await inject(app, {
        method,
        url: `/api/messages/${id}`,
        token,
        payload: { content: `moderated by ${method}` },
      });
      t.equal(res.statusCode, 200, `${name}: ${method}`);
      t.match(res.json(), {
        content: `moderated by ${method}`,
        views: 0,
        author: { id: alice.id, username: 'alice' },
      });
    }
    const row = await storedMessage(db, id);
    t.same(
      { author_id: row.author_id, views: row.views },
      { author_id: alice.id, views: 0 },
      `${name}: stored`,
    );
    const deleted = await inject(app, { method: 'DELETE', url: `/api/messages/${id}`, token });
    t.equal(deleted.statusCode, 204, `${name}: DELETE`);
    t.equal(await db.selectFrom('messages').select('id').where('id', '=', id).executeTakeFirst(), undefined);
  }
});

t.test(
  "the author's current username is shown, and deleting the author deletes their messages",
  async (t) => {
    const carol = await createUser(app, db, { username: 'carol' });
    const { id } = await postMessage(app, carol.token, 'by carol');
    await db.updateTable('users').set({ username: 'caroline' }).where('id', '=', carol.id).execute();
    const res = await api.GET('/api/messages/{id}', { params: { path: { id } } });
    t.same(res.data?.author, { id: carol.id, username: 'caroline' });
    await db.deleteFrom('users').where('id', '=', carol.id).execute();
    t.equal((await api.GET('/api/messages/{id}', { params: { path: { id } } })).response.status, 404);
    const left = await db.selectFrom('messages').select('id').where('author_id', '=', carol.id).execute();
    t.same(left, [], 'no message of a deleted user is left');
  },
);
