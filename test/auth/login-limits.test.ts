// Login limits with real processes and real client addresses (127.0.0.x): one limit per address shared by both
// login routes, and a per-account backoff on repeated failures from any address, held across processes by Redis.
import { randomUUID } from 'node:crypto';
import { type IncomingMessage, request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import t, { type Test } from 'tap';
import { request } from 'undici';
import { assertMatchesSpec } from '../helpers/contract.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { startServer } from '../helpers/server-process.ts';

/** A login sent from `from` (a loopback address of its own), checked against the spec. */
async function login(base: string, from: string, path: string, body: Record<string, string>) {
  const payload = JSON.stringify(body);
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const outgoing = httpRequest(`${base}${path}`, {
      method: 'POST',
      localAddress: from,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
    });
    outgoing.on('response', resolve).on('error', reject).end(payload);
  });
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const headers = Object.fromEntries(Object.entries(response.headers).map(([k, v]) => [k, String(v)]));
  assertMatchesSpec('POST', path, { statusCode: response.statusCode!, headers, body: text });
  return { status: response.statusCode!, retryAfter: headers['retry-after'], json: JSON.parse(text) };
}

const tokenLogin = (base: string, from: string, username: string, password: string) =>
  login(base, from, '/api/auth/token/', { username, password });

async function register(t: Test, base: string, username: string, password: string) {
  const res = await request(`${base}/register/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  t.equal(res.statusCode, 201, `registered ${username}`);
  await res.body.dump();
}

const database = await createTestDatabase(t);
const dbEnv = database.url ? { DATABASE_URL: database.url } : {};

t.test('one limit per address for both login routes; other addresses unaffected', async (t) => {
  const server = await startServer(t, { ...dbEnv, RATE_LIMIT_AUTH_MAX: '4', LOG_LEVEL: 'warn' });
  const from = '127.0.0.2';
  const statuses = [];
  for (let i = 0; i < 4; i++) {
    statuses.push(
      i % 2 === 0
        ? (await tokenLogin(server.url, from, `nobody-${i}`, 'wrong-password')).status
        : (await login(server.url, from, '/api/v1/authenticate', { email: `nobody-${i}@x.example`, password: 'x' }))
            .status,
    );
  }
  t.same(statuses, [401, 401, 401, 401], 'four attempts over the two routes');
  for (const path of ['/api/auth/token/', '/api/v1/authenticate']) {
    const body: Record<string, string> =
      path === '/api/auth/token/' ? { username: 'a', password: 'b' } : { email: 'a@x.example', password: 'b' };
    const limited = await login(server.url, from, path, body);
    t.equal(limited.status, 429, `${path}: the fifth from ${from} is refused`);
    t.ok(Number(limited.retryAfter) > 0, `${path}: Retry-After ${limited.retryAfter}`);
    t.match(limited.json, { success: false, error: 429, code: 'rate_limited' });
  }
  const other = await tokenLogin(server.url, '127.0.0.3', 'nobody', 'wrong-password');
  t.equal(other.status, 401, 'another address is not limited');
});

async function backoffCase(t: Test, servers: string[]) {
  const username = `victim-${randomUUID().slice(0, 8)}`;
  await register(t, servers[0]!, username, 'the-right-password');
  // Three free failures, each from its own address and spread over the servers.
  for (let i = 0; i < 3; i++) {
    const res = await tokenLogin(servers[i % servers.length]!, `127.0.0.${10 + i}`, username, 'wrong-password');
    t.equal(res.status, 401, `failure ${i + 1} from 127.0.0.${10 + i}`);
  }
  const slowed = await tokenLogin(servers[servers.length - 1]!, '127.0.0.20', username.toUpperCase(), 'wrong');
  t.equal(slowed.status, 429, 'the next attempt, from a fresh address and in another spelling, must wait');
  t.match(slowed.json, { success: false, error: 429, code: 'rate_limited', message: /failed logins for this account/ });
  t.equal(slowed.retryAfter, '1', 'the first wait is 1 s');
  const owner = await tokenLogin(servers[0]!, '127.0.0.21', username, 'the-right-password');
  t.equal(owner.status, 429, 'during the wait even the right password waits');
  const other = await tokenLogin(servers[0]!, '127.0.0.21', `other-${username}`, 'wrong');
  t.equal(other.status, 401, 'another account is not slowed');

  await sleep(1100);
  const counted = performance.now();
  const again = await tokenLogin(servers[servers.length - 1]!, '127.0.0.22', username, 'wrong-password');
  t.equal(again.status, 401, 'after the wait an attempt goes through');
  const doubled = await tokenLogin(servers[0]!, '127.0.0.23', username, 'wrong-password');
  t.equal(doubled.status, 429, 'and the next failure waits longer');
  // The 2 s wait runs from when that failure was answered, which is after `counted`. Unless over a second has
  // passed since then (a busy machine), at most 1 s of it is gone, so a doubled wait still shows 2 s.
  const elapsed = performance.now() - counted;
  const waited = Number(doubled.retryAfter);
  t.ok(waited === 2 || (waited === 1 && elapsed > 1000), `the wait doubles: 2 s from the failure (${waited} s left)`);

  await sleep(2100);
  const in_ = await tokenLogin(servers[0]!, '127.0.0.24', username, 'the-right-password');
  t.equal(in_.status, 200, 'the owner gets in after the wait: no lockout');
  const forgotten = await tokenLogin(servers[servers.length - 1]!, '127.0.0.25', username, 'wrong-password');
  t.equal(forgotten.status, 401, 'a success forgets the failures');
}

t.test('repeated failures for one account from any address are slowed, in process', async (t) => {
  const server = await startServer(t, {
    ...dbEnv,
    REDIS_URL: undefined,
    LOGIN_BACKOFF_FREE_FAILURES: '3',
    LOG_LEVEL: 'warn',
  });
  await backoffCase(t, [server.url]);
});

t.test("one account's username, email and their spellings share one allowance", async (t) => {
  const server = await startServer(t, { ...dbEnv, REDIS_URL: undefined, LOGIN_BACKOFF_FREE_FAILURES: '3', LOG_LEVEL: 'warn' });
  const email = `shared-${randomUUID().slice(0, 8)}@example.com`;
  const created = await request(`${server.url}/api/v1/user`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'the-right-password' }),
  });
  t.equal(created.statusCode, 201, `registered ${email}`);
  await created.body.dump();
  // An email account's username is its email: the two login routes reach it by either field.
  const spellings = [
    () => login(server.url, '127.0.0.30', '/api/v1/authenticate', { email, password: 'wrong' }),
    () => tokenLogin(server.url, '127.0.0.31', `  ${email.toUpperCase()} `, 'wrong'),
    () => login(server.url, '127.0.0.32', '/api/v1/authenticate', { email: email.toUpperCase(), password: 'wrong' }),
  ];
  for (const [i, attempt] of spellings.entries()) t.equal((await attempt()).status, 401, `failure ${i + 1}`);
  const next = await tokenLogin(server.url, '127.0.0.33', email, 'the-right-password');
  t.equal(next.status, 429, 'the three spellings were one account: the next attempt waits');
  t.match(next.json, { code: 'rate_limited', message: /failed logins for this account/ });
});

// Replicas share one database: an embedded one belongs to a single process, and its accounts to it alone.
const noSharedBackoff = !process.env.REDIS_URL
  ? 'REDIS_URL is not set: the shared backoff needs a Redis'
  : !database.url && 'two processes share a database only on PostgreSQL (DATABASE_URL)';
t.test('with Redis the backoff holds across two processes', { skip: noSharedBackoff }, async (t) => {
  const env = {
    ...dbEnv,
    REDIS_URL: process.env.REDIS_URL,
    REDIS_KEY_PREFIX: `test:${randomUUID()}:`,
    LOGIN_BACKOFF_FREE_FAILURES: '3',
    LOG_LEVEL: 'warn',
  };
  const servers = await Promise.all([startServer(t, env), startServer(t, env)]);
  await backoffCase(
    t,
    servers.map((server) => server.url),
  );
});
