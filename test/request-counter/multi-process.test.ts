import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { createTestDatabase } from '../helpers/database.ts';
import { SERVER_ADMIN, serverToken, startServer } from '../helpers/server-process.ts';
import { mixedKinds, Traffic } from './fixtures.ts';

const { DATABASE_URL, REDIS_URL } = process.env;
if (!DATABASE_URL || !REDIS_URL) {
  t.plan(
    0,
    'DATABASE_URL and REDIS_URL are needed: the server processes started here share PostgreSQL and Redis',
  );
} else {
  const database = await createTestDatabase(t);
  let admin = '';
  let kinds = mixedKinds('');
  // Thousands of requests, each logged twice at info: only warnings are worth reading here.
  const env = () => ({
    DATABASE_URL: database.url,
    REDIS_URL,
    REDIS_KEY_PREFIX: `test:${randomUUID()}:`,
    LOG_LEVEL: 'warn',
    ...SERVER_ADMIN,
  });

  t.test('three server processes keep one exact count under 3 000 concurrent requests', async (t) => {
    const shared = env();
    const servers = (await Promise.all([1, 2, 3].map(() => startServer(t, shared)))).map((s) => s.url);
    const traffic = new Traffic(t);
    admin = await serverToken(servers, 'admin');
    kinds = mixedKinds(await serverToken(servers, 'member'));

    // Their start-up health checks are wiped: from here on, every request the test sends is counted.
    await traffic.reset(servers[1]!, admin);
    const start = traffic.sent;
    await traffic.burst(servers, kinds, 3000);
    t.same(traffic.failures, [], 'every request answered as expected');
    t.equal(traffic.sent - start, 3000);
    t.same(
      await traffic.count(servers[0]!, admin),
      { requests: 3001, partial: false },
      'sent + this request',
    );
    t.same(await traffic.count(servers[1]!, admin), { requests: 3002, partial: false });
    t.same(await traffic.count(servers[2]!, admin), { requests: 3003, partial: false });

    await traffic.burst(servers, kinds, 1500);
    await traffic.reset(servers[2]!, admin);
    await traffic.burst(servers, kinds, 1500);
    t.same(traffic.failures, []);
    t.same(
      await traffic.count(servers[0]!, admin),
      { requests: 1501, partial: false },
      'after a reset in the middle: what was sent after it + this request',
    );
  });

  t.test('WORKERS=2: the two workers of one cluster keep one exact count', async (t) => {
    const server = await startServer(t, { ...env(), WORKERS: '2' });
    const { pid } = server.child;
    const workers = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/);
    t.equal(workers.length, 2, 'the primary runs two workers');
    const traffic = new Traffic(t);

    await traffic.reset(server.url, admin);
    await traffic.burst([server.url], kinds, 2000);
    t.same(traffic.failures, [], 'every request answered as expected');
    t.same(await traffic.count(server.url, admin), { requests: 2001, partial: false });
  });
}
