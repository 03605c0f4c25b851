import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { catalogEnv, fakeUpstream } from '../catalog/fixtures.ts';
import { assertMatchesSpec } from '../helpers/contract.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { redactedQuery } from '../../src/telemetry/redact.ts';
import { tracingRequested } from '../../src/telemetry/tracing.ts';
import { buildApp, loggerOptions } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import { testEnv } from '../helpers/app.ts';
import { type ReceivedSpan, startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { get, startServer } from '../helpers/server-process.ts';

const PASSWORD = 'correct-horse-battery-staple';
const SERVER_SPAN = 2;
const CLIENT_SPAN = 3;

async function register(base: string, username: string): Promise<string> {
  const response = await fetch(`${base}/register/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  const body = (await response.json()) as { access_token?: string };
  if (response.status !== 201 || typeof body.access_token !== 'string') {
    throw new Error(`registering answered ${response.status}`);
  }
  return body.access_token;
}

/** Polls (bounded) until `check` finds what it looks for among the spans received so far. */
async function eventually<T>(check: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const found = check();
    if (found !== undefined) return found;
    await sleep(50);
  }
  throw new Error(`no ${what} within 10 s`);
}

t.test('one traced request through the service, PostgreSQL and the catalogue', async (t) => {
  const traceId = randomBytes(16).toString('hex');
  const database = await createTestDatabase(t, { migrate: false });
  const receiver = await startOtlpReceiver(t);
  const fake = await fakeUpstream(t);
  const server = await startServer(t, {
    ...catalogEnv(fake),
    DATABASE_URL: database.url,
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL, REDIS_KEY_PREFIX: `test:${traceId}:` } : {}),
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OTEL_SERVICE_NAME: 'marquee-under-test',
  });
  const token = await register(server.url, `traced-${randomBytes(4).toString('hex')}`);

  const callerSpanId = randomBytes(8).toString('hex');
  const traceparent = `00-${traceId}-${callerSpanId}-01`;
  const headers = { authorization: `Bearer ${token}`, traceparent };
  const collections = await get(server.port, '/collection/', headers);
  t.equal(collections.status, 200);
  t.equal(collections.headers['x-trace-id'], traceId, 'the response names the caller’s trace');
  assertMatchesSpec('GET', '/collection/', {
    statusCode: collections.status,
    headers: collections.headers,
    body: collections.body,
  });
  const movies = await get(server.port, '/catalog/movies?page=2', headers);
  t.equal(movies.status, 200);
  t.equal(movies.headers['x-trace-id'], traceId);

  const inTrace = () => receiver.spans.filter((span) => span.traceId === traceId);
  const named = (name: string) => () => inTrace().find((span) => span.name === name);
  const collectionSpan = await eventually(named('GET /collection/'), 'GET /collection/ span');
  t.equal(collectionSpan.parentSpanId, callerSpanId, 'the request span continues the caller’s span');
  t.equal(collectionSpan.kind, SERVER_SPAN);
  t.equal(collectionSpan.attributes['http.route'], '/collection/');
  t.equal(collectionSpan.resource['service.name'], 'marquee-under-test', 'OTEL_SERVICE_NAME is honoured');
  const moviesSpan = await eventually(named('GET /catalog/movies'), 'GET /catalog/movies span');
  t.equal(moviesSpan.attributes['url.path'], '/catalog/movies', 'the path without its query');

  // Each span's ancestors, up to the caller's span.
  const byId = () => new Map(inTrace().map((span) => [span.spanId, span]));
  const under = (span: ReceivedSpan, ancestor: ReceivedSpan) => {
    const spans = byId();
    for (let at: ReceivedSpan | undefined = span; at; at = spans.get(at.parentSpanId)) {
      if (at.parentSpanId === ancestor.spanId) return true;
    }
    return false;
  };

  const handler = await eventually(
    () => inTrace().find((span) => span.name.startsWith('handler') && under(span, collectionSpan)),
    'handler span',
  );
  t.ok(handler, `the handler has a span of its own (${handler.name})`);

  const validation = inTrace().find((span) => span.name === 'validate querystring' && under(span, moviesSpan));
  t.equal(validation?.attributes['marquee.valid'], true, 'the query string’s validation is a span of the request');

  const fakePort = Number(new URL(fake.url).port);
  const upstream = await eventually(
    () => inTrace().find((span) => span.kind === CLIENT_SPAN && span.attributes['server.port'] === fakePort),
    'catalogue client span',
  );
  t.ok(under(upstream, moviesSpan), 'the catalogue call is a child of the request');
  t.equal(upstream.attributes['url.full'], `${fake.url}?page=REDACTED`, 'query values are redacted');
  const call = inTrace().find((span) => span.name === 'movie catalogue page');
  t.equal(call?.attributes['marquee.catalog.breaker_state'], 'Closed');
  t.equal(call?.attributes['marquee.catalog.outcome'], 'success');
  t.ok(call && under(upstream, call), 'each attempt sits under the call with the breaker state');

  const upstreamSaw = fake.requests.map((request) => request.traceparent ?? '');
  t.ok(
    upstreamSaw.some((header) => header.startsWith(`00-${traceId}-${upstream.spanId}-`)),
    'the catalogue received the trace, with the client span as parent',
  );

  // A catalogue that fails: the call's span shows each retry as an event, and how the call ended.
  fake.configure({ failRate: 1 });
  const failing = await get(server.port, '/catalog/movies?page=3', headers);
  t.equal(failing.status, 503);
  const failed = await eventually(
    () =>
      inTrace().find(
        (span) => span.name === 'movie catalogue page' && span.attributes['marquee.catalog.page'] === 3,
      ),
    'failed catalogue call span',
  );
  t.equal(failed.attributes['marquee.catalog.outcome'], 'error');
  const retries = failed.events.filter((event) => event.name === 'retry');
  t.equal(retries.length, 3, 'CATALOG_MAX_ATTEMPTS=4: three retries');
  t.match(retries[0]?.attributes, { attempt: 1, delay_ms: Number, reason: 'upstream answered 500' });

  if (database.url) {
    const query = await eventually(
      () =>
        inTrace().find(
          (span) =>
            span.attributes['db.system.name'] === 'postgresql' &&
            span.attributes['db.query.text'] !== undefined &&
            under(span, collectionSpan),
        ),
      'PostgreSQL query span',
    );
    const statement = String(query.attributes['db.query.text'] ?? '');
    t.match(statement, /select/i, 'the statement text is recorded');
    t.notMatch(statement, /traced-/, 'but no parameter values');
  } else {
    t.comment('PGlite runs in the process: there is no PostgreSQL client to trace, so no PostgreSQL span');
  }

  if (process.env.REDIS_URL) {
    // The request counter's INCRBY and the rate limiter's script run inside requests: their spans name the
    // command only, never a key or a value.
    const redis = await eventually(
      () => receiver.spans.find((span) => span.attributes['db.system.name'] === 'redis'),
      'Redis span',
    );
    t.match(String(redis.attributes['db.query.text']), /^\w+$/, 'a Redis span names the command only');
  } else {
    t.comment('REDIS_URL is not set: no Redis, so no Redis span');
  }

  // The request's log lines carry its trace, the request-completed line (written after its context) included.
  const reqId = collections.headers['x-request-id'];
  const lines = server.logs.filter((line) => line.reqId === reqId);
  t.ok(lines.some((line) => line.msg === 'request completed'), 'the access line is there');
  for (const line of lines) t.equal(line.trace_id, traceId, `“${line.msg}” carries the trace id`);
  t.ok(lines.every((line) => typeof line.span_id === 'string' && line.span_id.length === 16));

  // Nothing secret anywhere in what was exported: the token, the password, the catalogue's credentials.
  const hash = await eventually(() => receiver.spans.find((span) => span.name === 'password hash'), 'hash span');
  const registration = receiver.spans.find((span) => span.spanId === hash.parentSpanId);
  t.match(registration?.name, /^handler - .*registerCollectionsUser$/, 'the password hash is a span of its handler');
  const exported = receiver.bodies.join('\n');
  const upstreamAuthorization = fake.requests[0]?.authorization ?? 'unset';
  for (const secret of [token, token.split('.')[2] ?? token, PASSWORD, upstreamAuthorization, 'fake-upstream-secret']) {
    t.notOk(exported.includes(secret), `no exported span carries ${secret.slice(0, 12)}…`);
  }
  t.notMatch(exported, /bearer|authorization|page=\d/i, 'no credentials header, no query value');
});

t.test('tracing is off unless an exporter is asked for', async (t) => {
  t.equal(tracingRequested({}), false);
  t.equal(tracingRequested({ OTEL_SERVICE_NAME: 'marquee', OTEL_TRACES_SAMPLER: 'always_on' }), false);
  t.equal(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), true);
  t.equal(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }), true);
  t.equal(tracingRequested({ OTEL_TRACES_EXPORTER: 'otlp' }), true);
  t.equal(tracingRequested({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }), false);
  t.equal(tracingRequested({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' }), false);

  // An app in a process that started no SDK: no trace header, no trace fields in its log lines.
  const lines: Record<string, unknown>[] = [];
  const stream = { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) };
  const { config } = loadConfig(testEnv({ LOG_LEVEL: 'info' }));
  const { db } = await createTestDatabase(t);
  const app = await buildApp(config, { db, logger: { ...loggerOptions(config), stream } });
  t.teardown(() => app.close());
  const response = await app.inject({
    method: 'GET',
    url: '/openapi.json',
    headers: { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` },
  });
  t.notOk(app.hasPlugin('marquee-tracing') || app.hasPlugin('@fastify/otel'), 'no tracing hook on the hot path');
  t.equal(response.statusCode, 200);
  t.equal(response.headers['x-trace-id'], undefined, 'no X-Trace-Id');
  t.ok(lines.some((line) => line.msg === 'request completed'), 'the request is logged');
  t.notOk(lines.some((line) => 'trace_id' in line), 'without trace fields');
});

t.test('query values are redacted from URLs, names kept', async (t) => {
  const url = new URL('http://user:secret@catalogue.example/movies/?page=2&search=heat&page=3');
  t.equal(redactedQuery(url).toString(), 'http://catalogue.example/movies/?page=REDACTED&search=REDACTED');
  t.equal(url.search, '?page=2&search=heat&page=3', 'the original is untouched');
});
