import t from 'tap';
import { callServer, SERVER_ADMIN, serverToken, startServer } from '../helpers/server-process.ts';

t.test('a role change mid-session takes effect at once on a running server; refresh issues the new role', async (t) => {
  const server = await startServer(t, { LOG_LEVEL: 'warn', ...SERVER_ADMIN });
  const call = (method: string, path: string, token?: string, body?: unknown) =>
    callServer(server.url, method, path, token, body);
  const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));

  const admin = await serverToken([server.url], 'admin');
  const credentials = { username: 'rising-star', password: 'correct-horse-battery' };
  t.equal((await call('POST', '/api/auth/register/', undefined, credentials)).status, 201);
  const first = await call('POST', '/api/auth/token/', undefined, credentials);
  const id = (await call('GET', '/api/v1/user', first.json.access as string)).json.id as number;

  t.equal((await call('PATCH', `/api/v1/users/${id}`, admin, { role: 'admin' })).status, 200, 'promoted');
  const session = await call('POST', '/api/auth/token/', undefined, credentials);
  const access = session.json.access as string;
  t.equal(claims(access).role, 'admin');
  t.equal((await call('GET', '/api/v1/users', access)).status, 200, 'the admin manages users');

  t.equal((await call('PATCH', `/api/v1/users/${id}`, admin, { role: 'member' })).status, 200, 'demoted');
  t.equal((await call('GET', '/api/v1/users', access)).status, 403, 'the old admin token no longer lists users');
  const selfPromotion = await call('PATCH', `/api/v1/users/${id}`, access, { role: 'admin' });
  t.equal(selfPromotion.status, 403, 'nor promotes its user back');
  t.equal((await call('POST', '/request-count/reset/', access)).status, 403);
  const me = await call('GET', '/api/v1/user', access);
  t.equal(me.status, 200, 'the old token still reads');
  t.match(me.json, { id, role: 'member', is_staff: false });

  const refreshed = await call('POST', '/api/auth/token/refresh/', undefined, { refresh: session.json.refresh });
  t.equal(refreshed.status, 200);
  t.match(claims(refreshed.json.access as string), { role: 'member', permissions: [] });
});
