import { createConnection } from 'node:net';
import t, { type Test } from 'tap';
import { startServer } from '../helpers/server-process.ts';

interface Exchange {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** How the connection ended: 'end' (closed by the server), or the socket error's code. */
  ended: string;
}

/** Writes `chunks` on a fresh connection as fast as the socket takes them and reads until the server closes. */
function exchange(port: number, chunks: (string | Buffer)[]): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const received: Buffer[] = [];
    let settled = false;
    const finish = (ended: string) => {
      if (settled) return;
      settled = true;
      const text = Buffer.concat(received).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n', 2);
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(
        lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      );
      resolve({ status: Number(statusLine.split(' ')[1] ?? 0), headers, body, ended });
    };
    socket.on('data', (chunk) => received.push(chunk));
    socket.on('end', () => finish('end'));
    socket.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? 'error'));
    socket.on('close', () => finish('close'));
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        if (socket.destroyed) return;
        if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve).once('close', resolve));
      }
    });
  });
}

const server = await startServer(t, { LOG_LEVEL: 'warn' });

function assertErrorAnswer(t: Test, answer: Exchange, status: number, label: string) {
  t.equal(answer.status, status, `${label}: status`);
  t.match(JSON.parse(answer.body || '{}'), { success: false, error: status, message: String }, `${label}: shape`);
  t.match(answer.headers['content-type'], /^application\/json/, `${label}: JSON`);
  t.equal(answer.headers['x-content-type-options'], 'nosniff', `${label}: security headers`);
  t.equal(answer.headers['x-frame-options'], 'DENY', `${label}: security headers`);
  t.match(answer.headers['content-security-policy'], /default-src 'none'/, `${label}: security headers`);
}

t.test('oversized headers and malformed HTTP get the error shape and the security headers', async (t) => {
  const huge = await exchange(server.port, [
    `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100 * 1024)}\r\n\r\n`,
  ]);
  assertErrorAnswer(t, huge, 431, '100 KB header');
  t.equal(JSON.parse(huge.body).code, 'headers_too_large', '431: a code of its own');
  const garbage = await exchange(server.port, ['GARBAGE / NOT-HTTP\r\n\r\n']);
  assertErrorAnswer(t, garbage, 400, 'malformed request line');
  t.equal(JSON.parse(garbage.body).code, 'malformed_request', 'bad framing: malformed_request');
  const badHeader = await exchange(server.port, ['GET /health HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n']);
  assertErrorAnswer(t, badHeader, 400, 'malformed header line');
});

t.test('a 10 MB body: the client reads the 413 every time, then the connection closes', async (t) => {
  const size = 10 * 1024 * 1024;
  const piece = Buffer.alloc(64 * 1024, 'a');
  for (let run = 0; run < 16; run++) {
    const answer = await exchange(server.port, [
      `POST /api/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`,
      ...Array.from({ length: size / piece.length }, () => piece),
    ]);
    assertErrorAnswer(t, answer, 413, `run ${run + 1}`);
    t.equal(answer.headers.connection, 'close', `run ${run + 1}: Connection: close`);
    t.equal(answer.ended, 'end', `run ${run + 1}: the server closed the connection after answering`);
  }
  t.equal((await exchange(server.port, ['GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'])).status, 200);
});
