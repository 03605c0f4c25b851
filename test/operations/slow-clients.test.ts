// Slow and idle clients, at a small scale with low settings: a slow-header flood is shed and the service keeps
// answering; the server-wide connection cap holds.
import { once } from 'node:events';
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
  const server = await startServer(t, { MAX_CONNECTIONS: String(cap), LOG_LEVEL: 'warn' });
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
