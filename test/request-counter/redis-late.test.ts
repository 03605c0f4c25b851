// Redis down when the service starts: it starts anyway, counts in the process, and hands its count over once
// Redis comes, as docs/request-counter.md promises.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import t from 'tap';
import { createTestDatabase } from '../helpers/database.ts';
import { hasRedisServer, startRedis } from '../helpers/redis-server.ts';
import { freePort, SERVER_ADMIN, serverToken, startServer } from '../helpers/server-process.ts';
import { Traffic } from './fixtures.ts';

if (!hasRedisServer) {
  t.plan(0, 'redis-server is not installed: this test starts a Redis of its own after the service');
} else {
  t.test('Redis down at start: the service starts, counts in process, and catches up when Redis comes', async (t) => {
    const database = await createTestDatabase(t);
    const redisPort = await freePort();
    const prefix = `test:${randomUUID()}:`;
    const server = await startServer(t, {
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      REDIS_KEY_PREFIX: prefix,
      LOG_LEVEL: 'warn',
      ...SERVER_ADMIN,
      ...(database.url ? { DATABASE_URL: database.url } : {}),
    });
    t.pass('the service started and answers /health with Redis down');
    const member = await serverToken([server.url], 'member');
    const traffic = new Traffic(t);
    for (let i = 0; i < 30; i++) await traffic.send(server.url, { method: 'GET', path: '/health', status: 200 });
    t.same(traffic.failures, [], 'every request is answered while Redis is down');

    const down = await traffic.count(server.url, member);
    t.equal(down.partial, true, 'the count says it is partial while Redis is down');
    t.ok(down.requests >= 31, `the process counted its requests (${down.requests})`);

    await startRedis(t, { port: redisPort });
    let reading = down;
    let asked = 0;
    for (let i = 0; i < 100 && reading.partial; i++) {
      await sleep(100);
      reading = await traffic.count(server.url, member);
      asked += 1;
    }
    t.equal(reading.partial, false, `the count is whole again once Redis is up (after ${asked} reads)`);
    t.equal(reading.requests, down.requests + asked, 'nothing counted while Redis was down is lost or doubled');

    const redis = new Redis(redisPort, '127.0.0.1');
    t.teardown(() => redis.quit());
    t.equal(Number(await redis.get(`${prefix}request-count`)), reading.requests, 'Redis holds the whole count');
    t.same(traffic.failures, [], 'no request failed');
  });
}
