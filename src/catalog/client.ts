import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  retry,
  TaskCancelledError,
  TimeoutStrategy,
  timeout,
  wrap,
} from 'cockatiel';
import { trace } from '@opentelemetry/api';
import type { FastifyBaseLogger } from 'fastify';
import { Agent, request } from 'undici';
import type { components } from '../../generated/api.d.ts';
import type { Config } from '../config/index.ts';
import { inSpan } from '../telemetry/tracing.ts';
import {
  BREAKER_STATE,
  type CatalogOutcome,
  catalogBreakerState,
  catalogUpstreamCalls,
} from './metrics.ts';

export type CatalogMovie = components['schemas']['CatalogMovie'];

/** One upstream page, with its neighbours as page numbers: links are built per request, for the caller's host. */
export interface CatalogPage {
  count: number;
  previousPage: number | null;
  nextPage: number | null;
  data: CatalogMovie[];
}

/**
 * Why the upstream gave no page. `timeout`, `unreachable` and `server` are transient (retried, and they
 * count towards opening the circuit); `malformed` counts but is not retried (asking again for the same
 * garbage only burns the deadline); `rejected` (a 4xx) and `not-found` are answers, not outages.
 */
export type UpstreamFailure = 'timeout' | 'unreachable' | 'server' | 'malformed' | 'rejected' | 'not-found';

export class UpstreamError extends Error {
  readonly kind: UpstreamFailure;
  readonly status: number | undefined;
  constructor(kind: UpstreamFailure, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.kind = kind;
    this.status = options.status;
  }
}

const TRANSIENT: ReadonlySet<UpstreamFailure> = new Set(['timeout', 'unreachable', 'server']);
const OUTAGE: ReadonlySet<UpstreamFailure> = new Set([...TRANSIENT, 'malformed']);

const isTransient = (error: unknown) =>
  error instanceof TaskCancelledError || (error instanceof UpstreamError && TRANSIENT.has(error.kind));
const isOutage = (error: unknown) =>
  error instanceof TaskCancelledError || (error instanceof UpstreamError && OUTAGE.has(error.kind));

/** Whether a failure of fetchPage means the upstream is down or slow (503) rather than answering badly (502). */
export function isUnavailable(error: unknown): boolean {
  return error instanceof BrokenCircuitError || isTransient(error);
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isOptionalText = (value: unknown) => value === undefined || value === null || typeof value === 'string';

function parseCatalogMovie(item: unknown): CatalogMovie | undefined {
  if (!isObject(item)) return undefined;
  const { title, description, genres, uuid } = item;
  if (typeof title !== 'string' || typeof uuid !== 'string' || !UUID.test(uuid)) return undefined;
  if (!isOptionalText(description) || !isOptionalText(genres)) return undefined;
  return {
    title,
    description: (description as string | null | undefined) ?? null,
    genres: (genres as string | null | undefined) ?? null,
    uuid,
  };
}

/** The upstream page, or undefined when the body is not one. The real upstream says `results`, the seed `data`. */
export function parseCatalogPage(body: unknown, page: number): CatalogPage | undefined {
  if (!isObject(body)) return undefined;
  const { count, next, previous } = body;
  const list = body.results ?? body.data;
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) return undefined;
  if (!isOptionalText(next) || !isOptionalText(previous) || !Array.isArray(list)) return undefined;
  const data: CatalogMovie[] = [];
  for (const item of list) {
    const movie = parseCatalogMovie(item);
    if (!movie) return undefined;
    data.push(movie);
  }
  return {
    count,
    // Pages are numbered consecutively, so the upstream's links only tell whether a neighbour exists.
    nextPage: typeof next === 'string' ? page + 1 : null,
    previousPage: typeof previous === 'string' && page > 1 ? page - 1 : null,
    data,
  };
}

export interface CatalogClient {
  /** One page through timeout, retries, circuit breaker and deadline; rejects with what went wrong last. */
  fetchPage(page: number): Promise<CatalogPage>;
  /** How long a caller should wait before asking again after an outage, in seconds. */
  retryAfterSeconds(): number;
  close(): Promise<void>;
}

export interface CatalogClientOptions {
  settings: Config['movieApi'] & { readonly url: string };
  /** The upstream budget: the request deadline minus what answering from the stale copy may take. */
  budgetMs: number;
  log: FastifyBaseLogger;
}

export function createCatalogClient({ settings, budgetMs, log }: CatalogClientOptions): CatalogClient {
  const agent = new Agent({
    connect: { timeout: settings.attemptTimeoutMs },
    headersTimeout: settings.attemptTimeoutMs,
    bodyTimeout: settings.attemptTimeoutMs,
    maxResponseSize: MAX_BODY_BYTES,
  });
  const headers: Record<string, string> = { accept: 'application/json' };
  if (settings.username !== undefined || settings.password !== undefined) {
    const credentials = `${settings.username ?? ''}:${settings.password ?? ''}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }

  const attemptTimeout = timeout(settings.attemptTimeoutMs, TimeoutStrategy.Aggressive);
  // The first pause is a twentieth of an attempt's timeout, doubling with decorrelated jitter up to half of
  // one: short next to the deadline, long enough not to hammer an upstream that is struggling.
  const retries = retry(handleWhen(isTransient), {
    maxAttempts: settings.maxAttempts - 1,
    backoff: new ExponentialBackoff({
      initialDelay: Math.max(1, Math.round(settings.attemptTimeoutMs / 20)),
      maxDelay: Math.max(1, Math.round(settings.attemptTimeoutMs / 2)),
    }),
  });
  // Outside the retries: the circuit counts calls that failed after all their attempts, so a 30 % flaky
  // upstream keeps it closed while a dead one opens it after `breakerThreshold` calls.
  const breaker = circuitBreaker(handleWhen(isOutage), {
    halfOpenAfter: settings.breakerHalfOpenMs,
    breaker: new ConsecutiveBreaker(settings.breakerThreshold),
  });
  const deadline = timeout(budgetMs, TimeoutStrategy.Aggressive);
  const policy = wrap(deadline, breaker, retries, attemptTimeout);

  let openedAt = 0;
  breaker.onBreak(() => {
    openedAt = Date.now();
    log.error({ halfOpenAfterMs: settings.breakerHalfOpenMs }, 'movie catalogue circuit opened');
  });
  breaker.onHalfOpen(() => log.info('movie catalogue circuit half-open: probing the upstream'));
  breaker.onReset(() => log.info('movie catalogue circuit closed'));
  breaker.onStateChange((state) => {
    catalogBreakerState.set(breakerGauge(state));
    const attributes = { 'marquee.catalog.breaker_state': CircuitState[state] };
    trace.getActiveSpan()?.addEvent('breaker state change', attributes);
  });
  retries.onRetry((event) => {
    catalogUpstreamCalls.inc({ outcome: 'retry' });
    const reason = 'error' in event ? describe(event.error) : 'unexpected result';
    const delayMs = Math.round(event.delay);
    log.warn({ attempt: event.attempt, delayMs, reason }, 'movie catalogue retry');
    trace.getActiveSpan()?.addEvent('retry', { attempt: event.attempt, delay_ms: delayMs, reason });
  });

  async function attempt(page: number, signal: AbortSignal): Promise<CatalogPage> {
    // The retry policy may start one more attempt after the deadline went off during its pause.
    if (signal.aborted) throw new UpstreamError('timeout', 'deadline reached');
    const url = new URL(settings.url);
    url.searchParams.set('page', String(page));
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(url, { dispatcher: agent, method: 'GET', headers, signal });
    } catch (error) {
      throw connectionFailure(error, signal);
    }
    const { statusCode, body } = response;
    if (statusCode < 200 || statusCode >= 300) {
      body.dump().catch(() => undefined);
      if (statusCode >= 500)
        throw new UpstreamError('server', `upstream answered ${statusCode}`, { status: statusCode });
      if (statusCode === 404)
        throw new UpstreamError('not-found', `upstream has no page ${page}`, { status: 404 });
      throw new UpstreamError('rejected', `upstream answered ${statusCode}`, { status: statusCode });
    }
    let text: string;
    try {
      text = await body.text();
    } catch (error) {
      if ((error as { code?: string }).code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') {
        throw new UpstreamError('malformed', 'upstream body too large');
      }
      throw connectionFailure(error, signal);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new UpstreamError('malformed', 'upstream body is not JSON');
    }
    const parsed = parseCatalogPage(json, page);
    if (!parsed) throw new UpstreamError('malformed', 'upstream body is not a catalogue page');
    return parsed;
  }

  return {
    fetchPage(page) {
      // One span per call around its attempts (each attempt is an undici span of its own), with the breaker's
      // state as the call began, its retries as events and how it ended.
      const attributes = {
        'marquee.catalog.page': page,
        'marquee.catalog.breaker_state': CircuitState[breaker.state],
      };
      return inSpan('movie catalogue page', attributes, async (span) => {
        try {
          const result = await policy.execute(({ signal }) => attempt(page, signal));
          catalogUpstreamCalls.inc({ outcome: 'success' });
          span?.setAttribute('marquee.catalog.outcome', 'success');
          return result;
        } catch (error) {
          const outcome = callOutcome(error);
          catalogUpstreamCalls.inc({ outcome });
          span?.setAttribute('marquee.catalog.outcome', outcome);
          throw error;
        }
      });
    },
    retryAfterSeconds() {
      if (breaker.state !== CircuitState.Open) return 1;
      return Math.max(1, Math.ceil((openedAt + settings.breakerHalfOpenMs - Date.now()) / 1000));
    },
    close: () => agent.close(),
  };
}

/** The gauge's value for a breaker state: 0 closed, 1 half-open, 2 open (isolated counts as open). */
function breakerGauge(state: CircuitState): number {
  if (state === CircuitState.Closed) return BREAKER_STATE.closed;
  if (state === CircuitState.HalfOpen) return BREAKER_STATE.halfOpen;
  return BREAKER_STATE.open;
}

/**
 * How a call that gave no page ended, for `marquee_catalog_upstream_calls_total`: refused by the open circuit,
 * out of time (its last attempt timed out, or the deadline went off), or anything else (5xx or connection errors
 * after the last attempt, malformed bodies, 4xx answers including 404).
 */
function callOutcome(error: unknown): CatalogOutcome {
  if (error instanceof BrokenCircuitError) return 'breaker_open';
  if (error instanceof TaskCancelledError || (error instanceof UpstreamError && error.kind === 'timeout')) {
    return 'timeout';
  }
  return 'error';
}

function connectionFailure(error: unknown, signal: AbortSignal): UpstreamError {
  if (signal.aborted) return new UpstreamError('timeout', 'upstream attempt timed out', { cause: error });
  const code = (error as { code?: unknown }).code;
  return new UpstreamError(
    'unreachable',
    `upstream unreachable${typeof code === 'string' ? ` (${code})` : ''}`,
    {
      cause: error,
    },
  );
}

/** A log-safe reason: our own messages and error codes only, never a URL that could carry credentials. */
function describe(error: unknown): string {
  if (error instanceof UpstreamError) return error.message;
  if (error instanceof TaskCancelledError) return 'attempt timed out';
  return 'unexpected error';
}
