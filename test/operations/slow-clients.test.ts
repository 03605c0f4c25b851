// Slow and idle clients, at a small scale with low settings: a slow-header flood is shed and the service keeps
// answering; the server-wide connection cap holds.
import { once } from 'node:events';
import { request } from 'node:http';
import { createConnection, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { get, startServer } from '../helpers/server-process.ts';

async function open(port: number): Promise<Socket> {
  const socket = createConnection({ host: '127.0.0.1', port });
  socket.on('error', () => {}); // a reset by the server shows as 'close'
  await once(socket, 'connect');
  return socket;
}

/** Resolves with what the server sent before it closed (or reset) the connection. */
function whenClosed(socket: Socket): Promise<string> {
  let received = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
  return new Promise((resolve) => {
    if (socket.closed) resolve(received);
    else socket.on('close', () => resolve(received));
  });
}

t.test('a slow-header flood is cut off after HEADERS_TIMEOUT_MS while /health answers', async (t) => {
  const headersTimeoutMs = 1000;
  const server = await startServer(t, { HEADERS_TIMEOUT_MS: String(headersTimeoutMs), LOG_LEVEL: 'warn' });
  const FLOOD = 200;
  const started = Date.now();
  const flood = await Promise.all(Array.from({ length: FLOOD }, () => open(server.port)));
  // Each sends a request line and then one header every 200 ms, never the blank line that ends them.
  const closedAt = flood.map((socket) => whenClosed(socket).then((answer) => ({ answer, at: Date.now() })));
  for (const socket of flood) socket.write('GET /health HTTP/1.1\r\nHost: flood\r\n');
  const trickle = setInterval(() => {
    for (const socket of flood) if (!socket.destroyed) socket.write('X-Slow: 1\r\n');
  }, 200);
  t.teardown(() => {
    clearInterval(trickle);
    for (const socket of flood) socket.destroy();
  });

  for (let i = 0; i < 3; i++) t.equal((await get(server.port, '/health')).status, 200, 'GET /health meanwhile');

  const results = await Promise.all(closedAt);
  clearInterval(trickle);
  const slowest = Math.max(...results.map((r) => r.at)) - started;
  t.ok(
    results.every((r) => r.answer.startsWith('HTTP/1.1 408')),
    'the server answered each 408 Request Timeout and closed it',
  );
  // Each keeps sending headers, so only the headers timeout closes it: none before it, all within a generous
  // multiple of it (the timeout is checked every quarter of it; the rest is room for a busy machine).
  const fastest = Math.min(...results.map((r) => r.at)) - started;
  t.ok(fastest >= headersTimeoutMs, `none closed before the timeout (first after ${fastest} ms)`);
  t.ok(slowest < 10 * headersTimeoutMs, `all ${FLOOD} closed within ${slowest} ms of opening`);
  t.equal((await get(server.port, '/health')).status, 200, 'and the service answers after it');
});

t.test('MAX_CONNECTIONS: connections past the cap are closed at once; room frees as others close', async (t) => {
  const cap = 8;
  // All from one address: the per-address share is lifted to see the server-wide cap itself.
  const server = await startServer(t, {
    MAX_CONNECTIONS: String(cap),
    MAX_CONNECTIONS_PER_ADDRESS: '0',
    LOG_LEVEL: 'warn',
  });
  // Keep-alive connections that each had a request answered: certainly accepted and still open.
  const held: Socket[] = [];
  for (let i = 0; i < cap; i++) {
    const socket = await open(server.port);
    socket.write('GET /health HTTP/1.1\r\nHost: cap\r\n\r\n');
    const [chunk] = await once(socket, 'data');
    t.match(String(chunk), /^HTTP\/1\.1 200/, `connection ${i + 1} answered`);
    held.push(socket);
  }
  t.teardown(() => {
    for (const socket of held) socket.destroy();
  });

  const extra = await open(server.port);
  const answer = whenClosed(extra);
  extra.write('GET /health HTTP/1.1\r\nHost: cap\r\n\r\n');
  t.equal(await answer, '', `connection ${cap + 1} is closed without an answer`);
  await t.rejects(get(server.port, '/health'), 'a new request past the cap fails');

  held.pop()?.destroy();
  let status = 0;
  // The server learns of the closed connection asynchronously: a few tries, bounded.
  for (let i = 0; i < 50 && status !== 200; i++) {
    status = await get(server.port, '/health').then((res) => res.status, () => 0);
    if (status !== 200) await sleep(50);
  }
  t.equal(status, 200, 'with one connection closed, a new one is served');
});

/** GET /health on a connection of its own from `localAddress`: its status, or 0 if the connection failed. */
function healthFrom(port: number, localAddress: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/health', localAddress, agent: false, timeout: 5000 },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

t.test('MAX_CONNECTIONS_PER_ADDRESS: one address cannot take the whole cap; another is still served', async (t) => {
  const cap = 20;
  const share = 10;
  const server = await startServer(t, {
    MAX_CONNECTIONS: String(cap),
    MAX_CONNECTIONS_PER_ADDRESS: String(share),
    LOG_LEVEL: 'warn',
  });
  // 40 keep-alive connections from 127.0.0.1, each asking once: those within its share are answered and held.
  const ATTEMPTS = 2 * cap;
  const held: Socket[] = [];
  t.teardown(() => {
    for (const socket of held) socket.destroy();
  });
  const answers = await Promise.all(
    Array.from({ length: ATTEMPTS }, async () => {
      const socket = await open(server.port);
      held.push(socket);
      const answer = whenClosed(socket);
      socket.write('GET /health HTTP/1.1\r\nHost: hog\r\n\r\n');
      const data = new Promise((resolve) => socket.once('data', resolve));
      return Promise.race([data.then(() => 'answered'), answer.then(() => 'closed')]);
    }),
  );
  const answered = answers.filter((a) => a === 'answered').length;
  t.comment(`per address: ${ATTEMPTS} connections from one address, ${answered} answered`);
  t.equal(answered, share, `exactly its share (${share}) of ${ATTEMPTS} connections is served`);
  t.equal(await healthFrom(server.port, '127.0.0.1'), 0, 'a further connection from that address is closed');
  t.equal(await healthFrom(server.port, '127.0.0.2'), 200, 'GET /health from 127.0.0.2 answers meanwhile');
});

t.test('FIRST_BYTE_TIMEOUT_MS: a connection that sends nothing goes before a slow one', async (t) => {
  const server = await startServer(t, {
    FIRST_BYTE_TIMEOUT_MS: '300',
    HEADERS_TIMEOUT_MS: '3000',
    LOG_LEVEL: 'warn',
  });
  const idle = await open(server.port);
  const slow = await open(server.port);
  const idleEnd = whenClosed(idle);
  const slowEnd = whenClosed(slow);
  slow.write('GET /health HTTP/1.1\r\n');
  t.equal(await idleEnd, '', 'the silent connection is closed without an answer');
  t.notOk(slow.closed, 'while the slow one, which sent a byte, is still open');
  t.match(await slowEnd, /^HTTP\/1\.1 408 /, 'the slow one gets its 408 at the headers timeout');
  t.equal((await get(server.port, '/health')).status, 200, 'and the service answers');
});
