// Redis killed: logins neither wait on it nor fail; the rate limiter lets them through, says so once in the
// log, and counts each on /metrics.
import t from 'tap';
import { createTestDatabase } from '../helpers/database.ts';
import { hasRedisServer, startRedis } from '../helpers/redis-server.ts';
import { startServer } from '../helpers/server-process.ts';

/**
 * How long the rate limiter waits for Redis. A limiter that waited on the dead Redis would wait for ioredis to give
 * up reconnecting (seconds per retry, or for good); fifty times this bound tells the two apart on a busy machine.
 */
const REDIS_TIMEOUT_MS = 100;

if (!hasRedisServer) {
  t.plan(0, 'redis-server is not installed: this test starts and kills a Redis of its own');
} else {
  t.test('with Redis killed, no login waits on it and each is counted as failed open', async (t) => {
    const redis = await startRedis(t);
    const database = await createTestDatabase(t, { migrate: false });
    const server = await startServer(t, {
      REDIS_URL: redis.url,
      DATABASE_URL: database.url,
      REDIS_TIMEOUT_MS: String(REDIS_TIMEOUT_MS),
    });
    const credentials = { username: `outage-${process.pid}`, password: 'outage-password-1' };
    const post = (path: string, body: object = credentials) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    t.equal((await post('/api/auth/register/')).status, 201, 'registered while Redis is up');
    t.equal((await post('/api/auth/token/')).status, 200, 'logged in while Redis is up');

    // A busy machine may miss the 100 ms bound before the kill too, and log a short outage of its own.
    const logsBeforeKill = server.logs.length;
    redis.child.kill('SIGKILL');
    await new Promise((resolve) => redis.child.once('exit', resolve));
    const LOGINS = 5;
    for (let i = 0; i < LOGINS; i++) {
      // The rate limiter runs before the body is read: a login without a password passes it and fails
      // validation without hashing, so its time is what Redis adds. The hash itself runs on the lowest-priority
      // threads, whose speed depends on whatever else the machine runs, not on Redis.
      const started = performance.now();
      const refused = await post('/api/auth/token/', { username: credentials.username });
      const took = Math.round(performance.now() - started);
      t.equal(refused.status, 400, `login ${i + 1} without a password, Redis down: 400`);
      t.ok(took < 50 * REDIS_TIMEOUT_MS, `login ${i + 1} passed the rate limiter with Redis down in ${took} ms`);
      t.equal((await post('/api/auth/token/')).status, 200, `login ${i + 1} with Redis down: 200`);
    }

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const failedOpen = Number(/^marquee_redis_fail_open_total\{use="rate_limit"\} (\d+)/m.exec(metrics)?.[1]);
    t.ok(failedOpen >= 2 * LOGINS, `marquee_redis_fail_open_total{use="rate_limit"} is ${failedOpen}`);
    const warnings = server.logs
      .slice(logsBeforeKill)
      .filter((line) => line.msg?.startsWith('rate limiter: Redis unavailable'));
    t.equal(warnings.length, 1, 'the outage is logged once, not per request');
  });
}
