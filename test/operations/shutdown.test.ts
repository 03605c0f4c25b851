import { randomUUID } from 'node:crypto';
import t from 'tap';
import { createTestDatabase } from '../helpers/database.ts';
import { startHoldingProxy } from '../helpers/holding-proxy.ts';
import { get, startServer, tryConnect } from '../helpers/server-process.ts';

// The in-flight request is GET /ready while Redis, reached through a proxy the test controls, holds its PING:
// a real request kept open by a slow dependency, for exactly as long as the test needs.
const redisUrl = process.env.REDIS_URL;
if (!redisUrl) {
  t.plan(0, 'REDIS_URL is not set: the slow in-flight request needs a real Redis behind a holding proxy');
} else {
  for (const workers of process.env.DATABASE_URL ? [1, 2] : [1]) {
    t.test(
      `SIGTERM with ${workers} worker(s): the in-flight request completes, new connections are refused, exit 0`,
      async (t) => {
        const database = await createTestDatabase(t, { migrate: false });
        const proxy = await startHoldingProxy(t, redisUrl);
        const server = await startServer(t, {
          DATABASE_URL: database.url,
          REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
          REDIS_KEY_PREFIX: `test:${randomUUID()}:`,
          WORKERS: String(workers),
        });
        // Every worker's Redis connection is up before the test starts holding traffic.
        for (let i = 0; i < workers * 3; i++) t.equal((await get(server.port, '/ready')).status, 200);

        proxy.hold();
        const requestId = `inflight-${randomUUID()}`;
        const inFlight = get(server.port, '/ready', { 'x-request-id': requestId });
        let settled = false;
        inFlight.finally(() => {
          settled = true;
        });
        const incoming = await server.waitForLog(
          (line) => line.reqId === requestId && line.msg === 'incoming request',
        );
        await proxy.holding();

        server.child.kill('SIGTERM');
        await server.waitForLog((line) => line.msg === 'shutting down');
        // The listener closes a moment after the signal; until it has, new connections are still accepted.
        let refused = false;
        for (let i = 0; i < 100 && !refused; i++) {
          refused = (await tryConnect(server.port)) === 'refused';
          if (!refused) await new Promise((resolve) => setTimeout(resolve, 20));
        }
        t.ok(refused, 'new connections are refused during the shutdown');
        t.notOk(settled, 'the in-flight request was still open when new connections were refused');

        proxy.release();
        const response = await inFlight;
        t.equal(response.status, 200, 'the in-flight request completes');
        t.match(JSON.parse(response.body), { status: 'ok', checks: { database: 'ok', redis: 'ok' } });
        t.equal(response.headers['x-request-id'], requestId);

        // A hard bound: the graceful-shutdown timer is 10 s, so a clean exit comes well before 15 s.
        const exit = await Promise.race([
          server.exited,
          new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 15_000)),
        ]);
        t.same(exit, { code: 0, signal: null }, 'the process exits 0 on its own');

        // In the process that served the request (one of the workers, with WORKERS=2):
        const order = server.logs
          .filter((line) => line.pid === incoming.pid)
          .map((line) =>
            line.msg === 'shutting down' ? 'shutdown' : line.reqId === requestId ? line.msg : undefined,
          );
        t.same(
          order.filter(Boolean),
          ['incoming request', 'shutdown', 'request completed'],
          'the request started before the shutdown and finished after it',
        );
      },
    );
  }
}
