/**
 * The OpenTelemetry Node SDK, started by start.ts before any of the app's modules load, so that the pg and
 * ioredis instrumentations can patch those modules as they are imported (undici and Fastify publish on
 * diagnostics channels and need no patching). Exporter, sampler, service name and the rest come from the
 * standard OTEL_* variables.
 */
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { register, supportsSyncHooks } from 'import-in-the-middle/register-hooks.mjs';
import { register as registerLoader } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { redactedQuery, routeSpanName } from './redact.ts';
import { tracingStarted } from './tracing.ts';

// Module hooks, so that every later import of these modules is seen and patched: synchronous ones on this
// thread where Node.js can run them (24.11.1, 22.22.3 and later), else the loader thread.
const include = ['pg', 'pg-pool', 'ioredis'];
if (supportsSyncHooks()) register({ include });
else registerLoader('import-in-the-middle/hook.mjs', import.meta.url, { data: { include } });

// Traces only: metrics are Prometheus's (/metrics), logs are stdout's. Either can still be asked for.
process.env.OTEL_METRICS_EXPORTER ??= 'none';
process.env.OTEL_LOGS_EXPORTER ??= 'none';

const UNTRACED = new Set(['/health', '/ready', '/metrics']);

const sdk = new NodeSDK({
  ...(process.env.OTEL_SERVICE_NAME ? {} : { serviceName: 'marquee' }),
  instrumentations: [
    new FastifyOtelInstrumentation({
      registerOnInitialization: true,
      // Probes and scrapes every few seconds would bury the traces worth reading (OTEL_FASTIFY_IGNORE_PATHS wins).
      ...(process.env.OTEL_FASTIFY_IGNORE_PATHS ? {} : { ignorePaths: ({ url }) => UNTRACED.has(url) }),
      // Authentication and authorisation run in these; spans of the other hooks would show only bookkeeping.
      instrumentHooks: ['preValidation', 'preHandler'],
      requestHook(span, request) {
        span.updateName(routeSpanName(request.method, request.routeOptions.url));
        // Fastify's url.path is the raw URL, query string included.
        span.setAttribute('url.path', request.url.split('?', 1)[0] ?? '');
      },
    }),
    // Statement text only: its parameters ($1, $2…) are never recorded.
    new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
    // The command name only: keys and values may name users or carry counts nobody needs in a trace.
    new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: (command) => command }),
    new UndiciInstrumentation({
      requireParentforSpans: true,
      startSpanHook(request) {
        const url = redactedQuery(new URL(request.path, request.origin));
        return { 'url.full': url.toString(), 'url.query': url.search };
      },
    }),
  ],
});
sdk.start();
// A collector that does not answer must not hold the shutdown up: what is not out in 3 s is dropped.
tracingStarted({ stop: () => Promise.race([sdk.shutdown(), sleep(3000, undefined, { ref: false })]) });
