import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.ts';
import { type CountReading, InProcessCounter, type RequestCounter } from './counter.ts';
import { RedisCounter } from './redis-counter.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Absent when REQUEST_COUNTER=false. */
    requestCounter?: RequestCounter;
  }
  interface FastifyRequest {
    /** What counting this request gave; the count endpoint answers from it. */
    requestCount?: CountReading | Promise<CountReading>;
  }
}

export interface RequestCounterOptions {
  config: Config;
  redis: Redis | undefined;
}

/** Register before anything else that adds an onRequest hook: a request refused by an earlier hook would be missed. */
async function requestCounter(app: FastifyInstance, { config, redis }: RequestCounterOptions) {
  const counter: RequestCounter = redis
    ? new RedisCounter(redis, { keyPrefix: config.redisKeyPrefix, log: app.log })
    : new InProcessCounter();
  app.decorate('requestCounter', counter);
  app.decorateRequest('requestCount', undefined);

  // Callback-style hooks: no async function per request on the hot path.
  app.addHook('onRequest', (request, _reply, done) => {
    request.requestCount = counter.count();
    done();
  });
  const beforeResponse = counter.beforeResponse?.bind(counter);
  if (beforeResponse) {
    app.addHook('onSend', (_request, _reply, payload, done) => {
      const sent = beforeResponse();
      if (sent) sent.then(() => done(null, payload));
      else done(null, payload);
    });
  }
  const ready = counter.ready?.bind(counter);
  if (ready) app.addHook('onReady', ready);
  app.addHook('onClose', () => counter.close());
}

export default fp(requestCounter, { name: 'marquee-request-counter', fastify: '5.x' });
