import t from 'tap';
import { buildTestApp, inject } from '../helpers/app.ts';

const { app, db } = await buildTestApp(t);

t.test('the seed client: register → token → refresh → create → read', async (t) => {
  const credentials = { username: 'YourUserName', password: 'YourPassword' };

  // The seed's curl registers with a form body.
  const registered = await inject(app, {
    method: 'POST',
    url: '/api/auth/register/',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(credentials).toString(),
  });
  t.equal(registered.statusCode, 201, 'registered');
  const user = registered.json();
  t.match(user, { id: Number, username: 'YourUserName' });

  const login = await inject(app, { method: 'POST', url: '/api/auth/token/', payload: credentials });
  t.equal(login.statusCode, 200, 'logged in');
  const { refresh } = login.json();

  const refreshed = await inject(app, {
    method: 'POST',
    url: '/api/auth/token/refresh/',
    payload: { refresh },
  });
  t.equal(refreshed.statusCode, 200, 'refreshed');
  const { access } = refreshed.json();
  t.type(access, 'string');

  const created = await inject(app, {
    method: 'POST',
    url: '/api/messages',
    token: access,
    payload: { content: 'message content' },
  });
  t.equal(created.statusCode, 201, 'posted with the refreshed access token');
  const message = created.json();
  t.match(message, {
    content: 'message content',
    views: 0,
    author: { id: user.id, username: 'YourUserName' },
  });

  const read = await inject(app, { method: 'GET', url: `/api/messages/${message.id}` });
  t.equal(read.statusCode, 200);
  t.match(read.json(), { id: message.id, content: 'message content', views: 1, author: { id: user.id } });

  const listed = await inject(app, { method: 'GET', url: '/api/messages' });
  t.same(
    listed.json().map((m: { id: number }) => m.id),
    [message.id],
  );

  const row = await db
    .selectFrom('messages')
    .select(['author_id', 'views'])
    .where('id', '=', message.id)
    .executeTakeFirst();
  t.same(row, { author_id: user.id, views: 1 }, 'stored against the registered user');
});
