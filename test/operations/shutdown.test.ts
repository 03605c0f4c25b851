import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { Agent, request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';
import { Redis } from 'ioredis';
import t from 'tap';
import { createTestDatabase } from '../helpers/database.ts';
import { startHoldingProxy } from '../helpers/holding-proxy.ts';
import { get, startServer, tryConnect } from '../helpers/server-process.ts';

const CONNECTIONS = 20;

interface Answer {
  status: number;
  connection: string | undefined;
  socket: Socket;
}

/** One GET on a keep-alive agent; resolves with the socket it went over. */
function keepAliveGet(agent: Agent, port: number, path: string, headers: Record<string, string> = {}) {
  return new Promise<Answer>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent, headers }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, socket: req.socket! }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

const closed = (socket: Socket) => (socket.destroyed ? Promise.resolve() : once(socket, 'close').then(() => {}));

// The in-flight requests are GET /ready while Redis, reached through a proxy the test controls, holds its PING:
// real requests kept open by a slow dependency, for exactly as long as the test needs.
const redisUrl = process.env.REDIS_URL;
if (!redisUrl) {
  t.plan(0, 'REDIS_URL is not set: the slow in-flight requests need a real Redis behind a holding proxy');
} else {
  for (const workers of process.env.DATABASE_URL ? [1, 2] : [1]) {
    t.test(
      `SIGTERM with ${workers} worker(s) under ${CONNECTIONS} keep-alive connections with requests in flight`,
      async (t) => {
        const database = await createTestDatabase(t, { migrate: false });
        const proxy = await startHoldingProxy(t, redisUrl);
        const prefix = `test:${randomUUID()}:`;
        const server = await startServer(t, {
          DATABASE_URL: database.url,
          REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
          REDIS_KEY_PREFIX: prefix,
          WORKERS: String(workers),
          // A shutdown still waiting after this long exits 1: exit 0 shows it finished on its own.
          SHUTDOWN_TIMEOUT_MS: '10000',
          // The test follows each request from its arrival: the `incoming request` line is debug-level.
          LOG_LEVEL: 'debug',
        });
        // Every worker's Redis connection is up before the test starts holding traffic.
        for (let i = 0; i < workers * 3; i++) t.equal((await get(server.port, '/ready')).status, 200);

        // Keep-alive connections with nothing on them when the signal comes...
        const idleAgent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
        const busyAgent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
        t.teardown(() => {
          idleAgent.destroy();
          busyAgent.destroy();
        });
        // Setting up, not under test: on a loaded machine a connect is now and then reset, so it is tried again.
        const warmOne = async (agent: Agent): Promise<Answer> => {
          for (let attempt = 1; ; attempt++) {
            try {
              return await keepAliveGet(agent, server.port, '/health');
            } catch (error) {
              if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET' || attempt === 3) throw error;
            }
          }
        };
        const warm = (agent: Agent) => Promise.all(Array.from({ length: CONNECTIONS }, () => warmOne(agent)));
        const idle = await warm(idleAgent);
        const sockets = new Set(idle.map((a) => a.socket)).size;
        t.equal(sockets, CONNECTIONS, `${CONNECTIONS} idle keep-alive connections`);
        await warm(busyAgent);

        // ...and as many with a request in flight on each.
        proxy.hold();
        const ids = Array.from({ length: CONNECTIONS }, () => `inflight-${randomUUID()}`);
        const inFlight = ids.map((id) => keepAliveGet(busyAgent, server.port, '/ready', { 'x-request-id': id }));
        let settled = 0;
        for (const request of inFlight) void request.finally(() => (settled += 1)).catch(() => {});
        for (const id of ids) {
          await server.waitForLog((line) => line.reqId === id && line.msg === 'incoming request');
        }
        await proxy.holding();

        void server.stop();
        await server.waitForLog((line) => line.msg === 'shutting down');
        // The listener closes a moment after the signal; until it has, new connections are still accepted.
        let refused = false;
        for (let i = 0; i < 100 && !refused; i++) {
          refused = (await tryConnect(server.port)) === 'refused';
          if (!refused) await new Promise((resolve) => setTimeout(resolve, 20));
        }
        t.ok(refused, 'new connections are refused during the shutdown');
        await Promise.all(idle.map((a) => closed(a.socket)));
        t.pass('every idle keep-alive connection was closed by the server');
        t.equal(settled, 0, 'while every in-flight request was still open');

        proxy.release();
        const answers = await Promise.all(inFlight);
        t.same(
          answers.map((a) => [a.status, a.connection]),
          answers.map(() => [200, 'close']),
          'every in-flight request is answered 200 with Connection: close',
        );

        const exit = await Promise.race([
          server.exited,
          new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 15_000)),
        ]);
        t.same(exit, { code: 0, signal: null }, 'the process exits 0 on its own, before SHUTDOWN_TIMEOUT_MS');

        // The request counter was flushed before exit: Redis holds every request the server logged.
        const served = server.logs.filter((line) => line.msg === 'request completed').length;
        const redis = new Redis(redisUrl);
        t.teardown(() => redis.quit());
        t.equal(Number(await redis.get(`${prefix}request-count`)), served, `all ${served} requests counted`);
      },
    );
  }
}
