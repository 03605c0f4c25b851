import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import t, { type Test } from 'tap';
import { buildTestApp, inject, tokenFor } from '../helpers/app.ts';
import { client } from '../helpers/client.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { injectMixed } from './fixtures.ts';

const redisUrl = process.env.REDIS_URL;
if (!redisUrl) {
  t.plan(0, 'REDIS_URL is not set: the Redis-backed request counter needs a Redis');
  process.exit(0);
}

/** A TCP hop to the real Redis that can be cut and restored, to play an outage for one app only. */
async function redisProxy(t: Test, target: URL) {
  const sockets = new Set<net.Socket>();
  let down = false;
  const server = net.createServer((client) => {
    if (down) return client.destroy();
    const upstream = net.connect(Number(target.port || 6379), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return {
    url: `redis://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    cut() {
      down = true;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      down = false;
    },
  };
}

const database = await createTestDatabase(t);
const prefix = `test:${randomUUID()}:`;
// Two apps sharing one count, as two server processes would; b reaches Redis through a hop that can be cut.
const proxy = await redisProxy(t, new URL(redisUrl));
const { app: a } = await buildTestApp(t, { REDIS_KEY_PREFIX: prefix }, database);
const { app: b } = await buildTestApp(t, { REDIS_KEY_PREFIX: prefix, REDIS_URL: proxy.url }, database);
const admin = await tokenFor(a, 'admin');

async function count(t: Test, app: FastifyInstance) {
  const res = await client(app, admin).GET('/request-count/');
  t.equal(res.response.status, 200);
  return {
    requests: res.data!.requests,
    partial: res.response.headers.get('x-request-count-partial') === 'true',
  };
}

async function reset(t: Test, app: FastifyInstance) {
  const res = await client(app, admin).POST('/request-count/reset/');
  t.equal(res.response.status, 200);
}


/** Polls b until its count is whole again; returns how many polls it took (each one is a counted request). */
async function untilWhole(t: Test, app: FastifyInstance): Promise<number> {
  for (let polls = 1; polls <= 200; polls++) {
    if (!(await count(t, app)).partial) return polls;
    await sleep(50);
  }
  throw new Error('the count stayed partial for 10 seconds after Redis came back');
}

t.test('two apps share one exact count, each count including itself', async (t) => {
  await reset(t, a);
  await injectMixed(t, a, 40);
  await injectMixed(t, b, 60);
  t.same(await count(t, b), { requests: 101, partial: false });
  t.same(await count(t, a), { requests: 102, partial: false });
  await reset(t, b);
  t.same(await count(t, a), { requests: 1, partial: false }, 'a reset through one app is seen by the other');
});

t.test('while Redis is unreachable requests still succeed and the count says it is partial', async (t) => {
  await reset(t, a);
  await injectMixed(t, b, 10);
  // Also waits for b's earlier increments to be acknowledged: none is in flight when the line is cut.
  const before = await count(t, b);
  t.same(before, { requests: 11, partial: false });

  proxy.cut();
  await injectMixed(t, b, 20);
  t.same(await count(t, b), { requests: 11 + 20 + 1, partial: true }, 'what b last saw plus what it counted');

  const refused = await inject(b, { method: 'POST', url: '/request-count/reset/', token: admin });
  t.equal(refused.statusCode, 503);
  t.equal(refused.headers['retry-after'], '5');
  t.match(refused.json(), { success: false, error: 503 });

  await injectMixed(t, a, 5);
  proxy.restore();
  const polls = await untilWhole(t, b);
  // 11 before, b's 20 + partial count + refused reset + polls, a's 5, and this request.
  t.same(await count(t, a), { requests: 11 + 20 + 1 + 1 + polls + 5 + 1, partial: false });
});

t.test('a reset made while a process buffers drops its older increments and keeps the newer', async (t) => {
  await reset(t, a);
  await count(t, b);
  proxy.cut();
  await injectMixed(t, b, 7);
  // The backlog is split by time: keep its clock readings apart from the reset's.
  await sleep(5);
  await reset(t, a);
  await sleep(5);
  await injectMixed(t, b, 4);
  proxy.restore();
  const polls = await untilWhole(t, b);
  t.same(await count(t, a), { requests: 4 + polls + 1, partial: false });
});
