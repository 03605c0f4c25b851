import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import helmet from 'helmet';
import { codeOfStatus, errorBody, statusMessage } from '../errors/index.ts';
import { HELMET_OPTIONS } from './security.ts';

/** The security headers every response carries, as helmet sets them, for answers written straight to a socket. */
function securityHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: unknown) => {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  };
  helmet(HELMET_OPTIONS)({} as never, response as never, () => {});
  return headers;
}

function statusOf(code: string | undefined): number {
  if (code === 'HPE_HEADER_OVERFLOW') return 431;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === 'ERR_HTTP_REQUEST_HEADERS_TIMEOUT') return 408;
  return 400;
}

/**
 * Fastify's `clientErrorHandler`: a request Node's HTTP parser refused (oversized headers, malformed HTTP, a
 * timeout) never reaches a route, so it is answered here, in the one error shape with the usual security
 * headers, and the connection is closed once the answer is sent.
 */
export function createClientErrorHandler(): (error: NodeJS.ErrnoException, socket: Socket) => void {
  const headers = Object.entries(securityHeaders())
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return (error, socket) => {
    // A reset connection has no one left to answer; and a request already handed to Fastify (a framing error in
    // its body) has a reply of its own on the way that a second answer would corrupt: the socket is closed.
    const inFlight = (socket as Socket & { _httpMessage?: unknown })._httpMessage;
    if (error.code === 'ECONNRESET' || socket.destroyed || !socket.writable || inFlight) {
      socket.destroy();
      return;
    }
    const status = statusOf(error.code);
    const body = JSON.stringify(
      errorBody(
        status,
        status === 400 ? 'malformed HTTP request' : statusMessage(status),
        undefined,
        status === 400 ? 'malformed_request' : codeOfStatus(status),
      ),
    );
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${headers}content-type: application/json; charset=utf-8\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  };
}

/** How much of a refused request's body is read (and dropped) so that its client can read the answer. */
const DRAIN_BYTES = 64 * 1024 * 1024;
const DRAIN_MS = 10_000;

/**
 * Resolves once the rest of the request body has arrived and been dropped, or DRAIN_BYTES / DRAIN_MS are used up.
 * A server that closes a connection with unread data in it resets it, and the client, still sending, often loses
 * the answer (a 413 for a 10 MB body) with it.
 */
function drainBody(request: FastifyRequest): Promise<void> {
  const raw = request.raw;
  return new Promise((resolve) => {
    let received = 0;
    const done = () => {
      clearTimeout(timer);
      raw.off('data', onData);
      raw.off('end', done);
      raw.off('error', done);
      raw.off('close', done);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > DRAIN_BYTES) done();
    };
    const timer = setTimeout(done, DRAIN_MS);
    raw.on('data', onData);
    raw.once('end', done);
    raw.once('error', done);
    raw.once('close', done);
    raw.resume();
  });
}

/**
 * An error answered before the request body was read (413, and any refusal that needs no body): the body is
 * drained first, then the answer is sent with `Connection: close`, so the client reliably reads it.
 */
async function unreadBodies(app: FastifyInstance) {
  app.addHook('onSend', (request, reply, payload, done) => {
    const raw = request.raw;
    if (reply.statusCode < 400 || raw.complete || raw.readableEnded || raw.destroyed) return done(null, payload);
    reply.header('connection', 'close');
    // A body that did not arrive in time is not waited for again.
    if (reply.statusCode === 408) return done(null, payload);
    drainBody(request).then(() => {
      // The client went away meanwhile and the reply was answered by the abort: nothing is left to write.
      if (!reply.raw.headersSent) done(null, payload);
    });
  });
}

export default fp(unreadBodies, { name: 'marquee-unread-bodies', fastify: '5.x' });
