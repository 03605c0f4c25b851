// The HTTP layer under raw sockets (node:net): slow heads, slow and endless bodies, half-closed and aborted
// connections, pipelined requests, run against real server processes at every timeout boundary (the default
// proportions, equal and unequal values, the request timeout off). Whatever a client does, it gets a 408 or a
// closed socket, and the process keeps serving: the crash canary of startServer fails the test if it exits.
import { once } from 'node:events';
import { createConnection, type Socket } from 'node:net';
import t, { type Test } from 'tap';
import { get, type ServerProcess, startServer } from '../helpers/server-process.ts';

interface Settings {
  name: string;
  env: Record<string, string>;
  /** The longest a request may take to be cut off under these settings. */
  limitMs: number;
}

const SETTINGS: Settings[] = [
  {
    name: 'default proportions (request = handler, headers shorter)',
    env: { HEADERS_TIMEOUT_MS: '500', REQUEST_TIMEOUT_MS: '1500', HANDLER_TIMEOUT_MS: '1500' },
    limitMs: 1500,
  },
  {
    name: 'request timeout shorter than the handler timeout',
    env: { HEADERS_TIMEOUT_MS: '500', REQUEST_TIMEOUT_MS: '800', HANDLER_TIMEOUT_MS: '2000' },
    limitMs: 2000,
  },
  {
    name: 'handler timeout shorter than the request timeout',
    env: { HEADERS_TIMEOUT_MS: '500', REQUEST_TIMEOUT_MS: '2000', HANDLER_TIMEOUT_MS: '800' },
    limitMs: 2000,
  },
  {
    name: 'request timeout off',
    env: { HEADERS_TIMEOUT_MS: '500', REQUEST_TIMEOUT_MS: '0', HANDLER_TIMEOUT_MS: '1000' },
    limitMs: 1000,
  },
];

/** Room for a busy machine on top of a timeout: a bound on waiting, not a speed claim. */
const GRACE_MS = 8000;

interface Ending {
  /** Everything the server sent before it closed the connection. */
  received: string;
  /** Whether it closed the connection by itself within the bound. */
  closed: boolean;
}

async function open(port: number): Promise<Socket> {
  const socket = createConnection({ host: '127.0.0.1', port });
  socket.on('error', () => {}); // a reset shows as 'close'
  await once(socket, 'connect');
  return socket;
}

/** Runs `drive` on a fresh connection and resolves with what came back once the server closed it (bounded). */
async function exchange(port: number, waitMs: number, drive: (socket: Socket) => void): Promise<Ending> {
  const socket = await open(port);
  let received = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
  const closed = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), waitMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  drive(socket);
  const ending = { closed: await closed, received };
  socket.destroy();
  return ending;
}

/** Writes `pieces` one by one, `everyMs` apart, while the socket lasts (a slow client). */
function trickle(socket: Socket, pieces: string[], everyMs: number): void {
  let next = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || next >= pieces.length) return clearInterval(timer);
    socket.write(pieces[next++]!);
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
}

const LOGIN_HEAD = 'POST /api/auth/token/ HTTP/1.1\r\nHost: edges\r\nContent-Type: application/json\r\n';

type Case = [name: string, drive: (socket: Socket) => void, expect: 'cut off' | RegExp];

const CASES: Case[] = [
  ['a head that trickles in and never ends', (s) => {
    s.write('GET /health HTTP/1.1\r\nHost: edges\r\n');
    trickle(s, Array.from({ length: 200 }, () => 'X-Slow: 1\r\n'), 100);
  }, 'cut off'],
  ['a Content-Length body that stops after 10 of 1000 bytes', (s) => {
    s.write(`${LOGIN_HEAD}Content-Length: 1000\r\n\r\n{"username"`);
  }, 'cut off'],
  ['a Content-Length body that trickles a byte at a time', (s) => {
    s.write(`${LOGIN_HEAD}Content-Length: 1000\r\n\r\n{`);
    trickle(s, Array.from({ length: 900 }, () => ' '), 50);
  }, 'cut off'],
  ['a chunked body: one chunk, then silence', (s) => {
    s.write(`${LOGIN_HEAD}Transfer-Encoding: chunked\r\n\r\n5\r\n{"use\r\n`);
  }, 'cut off'],
  ['a chunked body whose chunks never end', (s) => {
    s.write(`${LOGIN_HEAD}Transfer-Encoding: chunked\r\n\r\n1\r\n{\r\n`);
    trickle(s, Array.from({ length: 900 }, () => '1\r\n \r\n'), 50);
  }, 'cut off'],
  ['a form body that stops half way', (s) => {
    s.write(
      'POST /api/auth/token/ HTTP/1.1\r\nHost: edges\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
        'Content-Length: 500\r\n\r\nusername=a',
    );
  }, 'cut off'],
  ['a body half-closed before its end', (s) => {
    s.end(`${LOGIN_HEAD}Content-Length: 100\r\n\r\n{"username":`);
  }, 'cut off'],
  ['a complete request, then the client half-closes', (s) => {
    s.end('GET /health HTTP/1.1\r\nHost: edges\r\n\r\n');
  }, /^HTTP\/1\.1 200 /],
  ['three pipelined requests, then the head of a fourth that never ends', (s) => {
    s.write(
      'GET /health HTTP/1.1\r\nHost: edges\r\n\r\n'.repeat(3) + 'GET /health HTTP/1.1\r\nHost: edges\r\n',
    );
  }, /^(HTTP\/1\.1 200 [^]*){3}HTTP\/1\.1 408 /],
  ['a pipelined request, then a body that stalls', (s) => {
    s.write(`GET /health HTTP/1.1\r\nHost: edges\r\n\r\n${LOGIN_HEAD}Content-Length: 200\r\n\r\n{`);
  }, /^HTTP\/1\.1 200 [^]*(HTTP\/1\.1 408 [^]*)?$/],
];

/** A 408 must be the error shape with its own code; a bare close is also a cut-off. */
function cutOff(t: Test, ending: Ending, what: string): void {
  t.ok(ending.closed, `${what}: the server closed the connection`);
  if (ending.received === '') return;
  t.match(ending.received, /^HTTP\/1\.1 408 /, `${what}: answered 408`);
  const body = JSON.parse(ending.received.slice(ending.received.indexOf('\r\n\r\n') + 4)) as object;
  t.same(body, { success: false, error: 408, code: 'request_timeout', message: 'request timeout' }, what);
}

async function stillServing(t: Test, server: ServerProcess, what: string): Promise<void> {
  t.equal((await get(server.port, '/health')).status, 200, `after ${what}: GET /health answers 200`);
}

let sent = 0;
for (const settings of SETTINGS) {
  t.test(settings.name, async (t) => {
    const server = await startServer(t, { ...settings.env, LOG_LEVEL: 'warn' });
    const waitMs = settings.limitMs + GRACE_MS;
    // All at once: each is a separate connection, and together they also check that one does not hold another.
    const endings = await Promise.all(CASES.map(([, drive]) => exchange(server.port, waitMs, drive)));
    sent += CASES.length;
    for (const [index, [name, , expect]] of CASES.entries()) {
      const ending = endings[index]!;
      if (expect === 'cut off') cutOff(t, ending, name);
      else {
        t.ok(ending.closed, `${name}: closed by the server`);
        t.match(ending.received, expect, `${name}: answered`);
      }
    }

    // Aborted mid-body, many times over: nothing to answer, and nothing may break.
    const aborts = Array.from({ length: 20 }, async (_, i) => {
      const socket = await open(server.port);
      socket.write(`${LOGIN_HEAD}Content-Length: 1000\r\n\r\n{"username":"abort-${i}"`);
      await new Promise((resolve) => setTimeout(resolve, 20 * (i % 5)));
      if (i % 2 === 0) socket.resetAndDestroy();
      else socket.destroy();
    });
    await Promise.all(aborts);
    sent += aborts.length;
    await stillServing(t, server, 'every case');

    // The same slow body again after the last timer has fired: a late error must not end the process either.
    await new Promise((resolve) => setTimeout(resolve, settings.limitMs + 500));
    await stillServing(t, server, 'the timers ran out');
  });
}

t.teardown(() => {
  t.comment(`raw sockets: ${sent} connections over ${SETTINGS.length} settings`);
});
