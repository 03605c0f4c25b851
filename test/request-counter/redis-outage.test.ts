import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { createTestDatabase } from '../helpers/database.ts';
import { hasRedisServer, startRedis } from '../helpers/redis-server.ts';
import { freePort, SERVER_ADMIN, serverToken, startServer } from '../helpers/server-process.ts';
import { mixedKinds, Traffic } from './fixtures.ts';

if (!process.env.REDIS_URL || !hasRedisServer) {
  t.plan(
    0,
    process.env.REDIS_URL
      ? 'redis-server is not installed: this test starts, kills and restarts a Redis of its own'
      : 'REDIS_URL is not set: this test needs redis-server to start, kill and restart a Redis of its own',
  );
} else {
  t.test(
    'Redis killed under load and restarted empty: no request fails and the count ends exact',
    async (t) => {
      const database = await createTestDatabase(t);
      const redisPort = await freePort();
      let redis = (await startRedis(t, { port: redisPort })).child;
      const env = {
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        REDIS_KEY_PREFIX: `test:${randomUUID()}:`,
        // Thousands of requests, each logged twice at info: only warnings are worth reading here.
        LOG_LEVEL: 'warn',
        ...SERVER_ADMIN,
        ...(database.url ? { DATABASE_URL: database.url } : {}),
      };
      const servers = (await Promise.all([1, 2].map(() => startServer(t, env)))).map((s) => s.url);
      const admin = await serverToken(servers, 'admin');
      const kinds = mixedKinds(await serverToken(servers, 'member'));
      const traffic = new Traffic(t);

      await traffic.reset(servers[0]!, admin);
      const start = traffic.sent;

      // Sixteen clients, each sending one request after another until told to stop.
      let stopped = false;
      const load = Promise.all(
        Array.from({ length: 16 }, async (_, client) => {
          for (let i = client; !stopped; i++) {
            await traffic.send(servers[i % servers.length]!, kinds[i % kinds.length]!);
          }
        }),
      );
      const sentAtLeast = async (n: number) => {
        while (traffic.sent < n) await sleep(10);
      };

      await sentAtLeast(start + 500);
      redis.kill('SIGKILL');
      await once(redis, 'exit');
      const killedAt = traffic.sent;
      await sentAtLeast(killedAt + 500);
      for (const server of servers) {
        t.same(
          (await traffic.count(server, admin)).partial,
          true,
          'while Redis is down the count says it is partial',
        );
      }

      redis = (await startRedis(t, { port: redisPort })).child;
      const restartedAt = traffic.sent;
      await sentAtLeast(restartedAt + 500);
      stopped = true;
      await load;
      t.same(traffic.failures, [], `none of the ${traffic.sent - start} requests failed`);

      // Each process puts back what it had counted once its connection is back; until then its count is partial.
      for (const server of servers) {
        let whole = false;
        for (let i = 0; i < 200 && !whole; i++) {
          whole = !(await traffic.count(server, admin)).partial;
          if (!whole) await sleep(50);
        }
        t.ok(whole, `${server} has handed its count over to the restarted Redis`);
      }
      const { requests, partial } = await traffic.count(servers[1]!, admin);
      t.notOk(partial);
      t.equal(requests, traffic.sent - start, 'every request since the reset, this one included');
    },
  );
}
