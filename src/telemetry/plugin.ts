import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { kRequestSpan, type SpanLogger, stopTracing } from './tracing.ts';

/**
 * Registered only while tracing is on (src/app.ts). Each response names its trace in X-Trace-Id, next to
 * X-Request-Id, so a caller can quote it; the request's logger remembers its span for lines written after the
 * request's context is gone. @fastify/otel's own onRequest hook runs first (it registers as Fastify starts), so
 * the request's span is the active one here.
 */
async function tracing(app: FastifyInstance) {
  app.addHook('onRequest', (request, reply, done) => {
    const ids = trace.getSpan(context.active())?.spanContext();
    if (ids && isSpanContextValid(ids)) {
      reply.header('x-trace-id', ids.traceId);
      (request.log as SpanLogger)[kRequestSpan] = ids;
    }
    done();
  });
  app.addHook('onClose', () => stopTracing());
}

export default fp(tracing, { name: 'marquee-tracing', fastify: '5.x' });
