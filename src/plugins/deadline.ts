import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors/index.ts';

export interface DeadlineOptions {
  /** How long the body may take to arrive once the head has (0: no limit). */
  requestTimeoutMs: number;
  /** How long the answer may take once the request has been received (0: no limit). */
  handlerTimeoutMs: number;
}

const timers = new WeakMap<FastifyRequest, NodeJS.Timeout>();

function disarm(request: FastifyRequest): void {
  clearTimeout(timers.get(request));
  timers.delete(request);
}

function arm(request: FastifyRequest, ms: number, expire: () => void): void {
  disarm(request);
  if (ms > 0) timers.set(request, setTimeout(expire, ms).unref());
}

/**
 * The one owner of a request's deadline. Node.js's own request timeout and Fastify's handler timeout each answer
 * on their own, so when both ran out together (a slow body) two answers raced for one socket, and the loser threw
 * after the reply was sent. Here one timer per request decides by phase: a body still arriving after
 * REQUEST_TIMEOUT_MS is a 408 and the connection is closed; an answer not started HANDLER_TIMEOUT_MS after the
 * request arrived is a 503. Once an answer is on its way (onSend), no timer may start another.
 */
async function deadline(app: FastifyInstance, options: DeadlineOptions) {
  const expire = (request: FastifyRequest, reply: FastifyReply) => () => {
    timers.delete(request);
    if (reply.sent || reply.raw.headersSent) return;
    // `complete` is Node.js's word that the whole body is in (an injected request has none: always received).
    if (request.raw.complete === false) {
      request.log.info('request body not received in time');
      reply.header('connection', 'close');
      reply.send(new AppError('request_timeout', 'request timeout'));
      return;
    }
    request.log.warn('request timed out');
    reply.send(new AppError('timed_out', 'request timed out'));
  };

  app.addHook('onRequest', (request, reply, done) => {
    arm(request, options.requestTimeoutMs || options.handlerTimeoutMs, expire(request, reply));
    done();
  });
  app.addHook('preHandler', (request, reply, done) => {
    arm(request, options.handlerTimeoutMs, expire(request, reply));
    done();
  });
  app.addHook('onSend', (request, _reply, payload, done) => {
    disarm(request);
    done(null, payload);
  });
  app.addHook('onResponse', (request, _reply, done) => {
    disarm(request);
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    disarm(request);
    done();
  });
}

export default fp(deadline, { name: 'marquee-deadline', fastify: '5.x' });
