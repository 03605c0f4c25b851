import {
  type Attributes,
  context,
  type Span,
  type SpanContext,
  SpanStatusCode,
  trace,
  isSpanContextValid,
} from '@opentelemetry/api';
import type { Logger } from 'pino';

type Env = Record<string, string | undefined>;

/**
 * Tracing is on when an exporter is asked for: OTEL_EXPORTER_OTLP_ENDPOINT (or its traces-only variant), or an
 * OTEL_TRACES_EXPORTER other than `none`. OTEL_SDK_DISABLED=true wins over both.
 */
export function tracingRequested(env: Env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters = env.OTEL_TRACES_EXPORTER?.trim();
  if (exporters) return exporters.split(',').some((name) => name.trim() !== 'none');
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

/** The running SDK, set by src/telemetry/sdk.ts: undefined when tracing is off, so callers skip all work. */
let running: { stop(): Promise<void> } | undefined;

export function tracingStarted(sdk: { stop(): Promise<void> }): void {
  running = sdk;
}

export function tracingOn(): boolean {
  return running !== undefined;
}

/** Sends the spans still buffered and stops the SDK: on shutdown, so the last requests' traces are not lost. */
export function stopTracing(): Promise<void> {
  return running?.stop() ?? Promise.resolve();
}

export const tracer = trace.getTracer('marquee');

/**
 * Runs `work` in a span of its own when tracing is on (a plain call when off: no span, no context switch). A
 * rejection marks the span as an error with the error's class only: messages may quote input.
 */
export function inSpan<T>(name: string, attributes: Attributes, work: (span?: Span) => Promise<T>): Promise<T> {
  if (running === undefined) return work();
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The span a request's logger belongs to, for log lines written outside the request's context. */
export const kRequestSpan = Symbol('marquee.requestSpan');
export type SpanLogger = { [kRequestSpan]?: SpanContext };

/**
 * pino mixin (only installed when tracing is on): the active span's ids, or those of the request the logger
 * belongs to (Fastify writes `request completed` after the request's context has ended).
 */
export function traceLogFields(_merge: object, _level: number, logger: Logger): object {
  const active = trace.getSpan(context.active())?.spanContext();
  const ids = active && isSpanContextValid(active) ? active : (logger as SpanLogger)[kRequestSpan];
  return ids ? { trace_id: ids.traceId, span_id: ids.spanId } : {};
}
