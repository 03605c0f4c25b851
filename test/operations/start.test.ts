// The README's start command on a machine with no database server: `npm start` with nothing configured.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { assertMatchesSpec } from '../helpers/contract.ts';
import { get, startServer } from '../helpers/server-process.ts';

t.test('with no DATABASE_URL, JWT_SECRET or NODE_ENV the server starts on PGlite and answers', async (t) => {
  const server = await startServer(t, {
    // What `npm start` on a fresh clone has: none of these (undefined drops a variable from the child's env).
    NODE_ENV: undefined,
    JWT_SECRET: undefined,
    DATABASE_URL: undefined,
    REDIS_URL: undefined,
    ADMIN_USERNAME: 'root',
    ADMIN_PASSWORD: 'root-password-1',
  });
  const check = async (path: string, status: number) => {
    const res = await get(server.port, path);
    t.equal(res.status, status, `GET ${path}`);
    assertMatchesSpec('GET', path, { statusCode: res.status, headers: res.headers, body: res.body });
    return res;
  };
  t.match(JSON.parse((await check('/health', 200)).body), { status: 'ok' });
  t.match(JSON.parse((await check('/ready', 200)).body), {
    status: 'ok',
    checks: { database: 'ok', redis: 'disabled' },
  });
  t.match((await check('/docs', 200)).body, /<div id="swagger-ui">/);
  t.equal((await check('/', 302)).headers.location, '/docs');
  const yaml = await check('/openapi.yaml', 200);
  t.match(yaml.body, /^openapi: 3\.1\.0/m);
  const json = JSON.parse((await check('/openapi.json', 200)).body);
  t.equal(json.openapi, '3.1.0');

  // Development mode: a secret is generated, kept in the data folder (the restart case is in config.test.ts).
  const warning = /JWT_SECRET is not set: using a generated development secret kept in (\S+)\/jwt-secret/;
  const dataDir = warning.exec(server.output())?.[1];
  t.ok(dataDir, 'a warning says where the generated secret is kept');
  t.ok(readFileSync(join(dataDir!, 'jwt-secret'), 'utf8').length >= 32, `a secret kept in ${dataDir}`);

  // Migrations ran at start-up and ADMIN_USERNAME/ADMIN_PASSWORD made an admin who can log in.
  const login = await fetch(`${server.url}/api/auth/token/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'root', password: 'root-password-1' }),
  });
  t.equal(login.status, 200, 'the bootstrapped admin logs in');
  const { access } = (await login.json()) as { access: string };
  const me = await fetch(`${server.url}/api/v1/user`, { headers: { authorization: `Bearer ${access}` } });
  t.match(await me.json(), { username: 'root', role: 'admin', is_staff: true });
});
