import { randomBytes } from 'node:crypto';
import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { AbandonedError, HashPool } from '../../src/auth/hash-pool.ts';
import { SERVER_ADMIN, serverToken, startServer } from '../helpers/server-process.ts';

const job = () => ({
  password: 'correct-horse-battery',
  salt: randomBytes(16),
  algorithm: 'argon2id' as const,
  memoryKiB: 19_456,
  passes: 2,
  parallelism: 1,
  length: 32,
});

t.test('the pool: a full queue refuses at once with Retry-After; a gone client’s queued hash never runs', async (t) => {
  const pool = new HashPool({ workers: 1, queue: 2 });
  t.teardown(() => pool.close());
  let gone = false;
  const running = pool.derive(job());
  const queued = [pool.derive(job(), () => gone), pool.derive(job(), () => gone)];
  const refused = await pool.derive(job()).catch((error: unknown) => error);
  t.match(refused, { statusCode: 503, headers: { 'retry-after': '1' } });
  gone = true;
  t.equal((await running).length, 32, 'the running hash finishes');
  for (const result of await Promise.allSettled(queued)) {
    t.equal(result.status, 'rejected');
    t.ok(result.status === 'rejected' && result.reason instanceof AbandonedError, 'dropped, not hashed');
  }
  t.equal(pool.derivations, 1, 'only the running hash was computed');
  t.equal(pool.queued, 0);
  t.equal((await pool.derive(job())).length, 32, 'the pool works on');
});

t.test('an idle hashing thread exits, and the next hash starts a new one', async (t) => {
  const pool = new HashPool({ workers: 2, queue: 2, idleMs: 200 });
  t.teardown(() => pool.close());
  const both = Promise.all([pool.derive(job()), pool.derive(job())]);
  t.equal(pool.threads, 2, 'two threads for two hashes at once');
  await both;
  await sleep(600);
  t.equal(pool.threads, 0, 'both gone after sitting idle');
  t.equal((await pool.derive(job())).length, 32, 'a later hash is computed');
  t.equal(pool.threads, 1);
});

t.test('a registration flood over real connections: 201 or 503 with Retry-After, and the queue drains', async (t) => {
  const server = await startServer(t, {
    LOG_LEVEL: 'warn',
    HASH_WORKERS: '1',
    HASH_QUEUE: '4',
    RATE_LIMIT_AUTH_MAX: '100000',
    ...SERVER_ADMIN,
  });
  const register = async (username: string) => {
    const response = await fetch(`${server.url}/register/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: 'correct-horse-battery' }),
    });
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.text() };
  };

  const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => register(`flood-${i}`)));
  const histogram: Record<number, number> = {};
  for (const answer of answers) histogram[answer.status] = (histogram[answer.status] ?? 0) + 1;
  t.comment(`60 concurrent registrations: ${JSON.stringify(histogram)}`);
  t.same(Object.keys(histogram).filter((status) => status !== '201' && status !== '503'), [], 'only 201 and 503');
  const refused = answers.filter((answer) => answer.status === 503);
  t.ok(refused.length > 0, 'a full queue refuses some at once');
  t.ok(histogram[201]! > 0, 'the rest are registered');
  for (const answer of refused) {
    t.equal(answer.retryAfter, '1');
    t.match(JSON.parse(answer.body), { success: false, error: 503, message: String });
  }

  // Thirty clients send a registration and hang up at once: their queued hashes are dropped, not computed.
  const payload = JSON.stringify({ username: 'gone-0', password: 'correct-horse-battery' });
  await Promise.all(
    Array.from({ length: 30 }, (_, i) => {
      const body = payload.replace('gone-0', `gone-${i}`);
      return new Promise<void>((resolve) => {
        const socket = createConnection({ host: '127.0.0.1', port: server.port }, () => {
          socket.end(
            `POST /register/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
            () => {
              socket.destroy();
              resolve();
            },
          );
        });
        socket.on('error', () => resolve());
      });
    }),
  );
  await server.waitForLog((line) => line.msg === 'the client went away before its password was checked');

  // Once the queue has drained, a registration is answered 201 (bounded: at most 100 tries on 503).
  let after = await register('after-the-flood');
  for (let i = 0; i < 100 && after.status === 503; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    after = await register('after-the-flood');
  }
  t.equal(after.status, 201, 'a registration after the flood succeeds');

  const admin = await serverToken([server.url], 'admin');
  const list = await fetch(`${server.url}/api/v1/users?limit=100`, { headers: { authorization: `Bearer ${admin}` } });
  const users = ((await list.json()) as { users: { username: string }[] }).users;
  const goneCreated = users.filter((user) => user.username.startsWith('gone-')).length;
  t.ok(goneCreated < 30, `${goneCreated} of the 30 abandoned registrations were hashed and stored`);
});
