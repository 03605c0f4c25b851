import t from 'tap';
import { buildTestApp, inject, tokenFor } from '../helpers/app.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { sample } from '../helpers/metrics.ts';

const database = await createTestDatabase(t);

t.test('/metrics is Prometheus text with request durations by route template and status', async (t) => {
  const { app } = await buildTestApp(t, {}, database);
  const countOf = (body: string) =>
    sample(
      body,
      'http_request_duration_seconds_count{method="GET",route="/actors/{id}",status_code="401"}',
    ) ?? 0;
  const before = countOf((await inject(app, { method: 'GET', url: '/metrics' })).body);

  await inject(app, { method: 'GET', url: '/actors/12345' });
  await inject(app, { method: 'GET', url: '/actors/67890' });
  await inject(app, { method: 'GET', url: '/no/such/page-7f3a' });

  const res = await inject(app, { method: 'GET', url: '/metrics' });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  t.equal(countOf(res.body), before + 2, 'two requests on the same route template count in one series');
  t.match(
    res.body,
    /^http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/actors\/\{id\}"/m,
  );
  t.ok(
    (sample(
      res.body,
      'http_request_duration_seconds_count{method="GET",route="unmatched",status_code="404"}',
    ) ?? 0) >= 1,
    'unknown paths share one series',
  );
  t.notMatch(res.body, 'page-7f3a', 'raw URLs never become labels');
  t.notMatch(res.body, '12345');
});

t.test('/metrics exports the catalogue, breaker, counter and pool series from the start', async (t) => {
  const { app } = await buildTestApp(t, {}, database);
  const { body } = await inject(app, { method: 'GET', url: '/metrics' });
  for (const outcome of ['success', 'retry', 'timeout', 'breaker_open', 'stale_served', 'error']) {
    t.type(
      sample(body, `marquee_catalog_upstream_calls_total{outcome="${outcome}"}`),
      'number',
      `catalogue outcome ${outcome}`,
    );
  }
  t.match(body, /^marquee_catalog_breaker_state [012]$/m);
  t.match(body, /^marquee_request_counter_backlog \d+$/m);
  t.match(body, /^# TYPE marquee_db_pool_connections gauge$/m);
  t.match(body, /^# TYPE marquee_db_pool_errors_total counter$/m);
  t.match(body, /^nodejs_eventloop_lag_seconds \S+$/m, 'process metrics too');
});

t.test('with METRICS_TOKEN, /metrics needs exactly that bearer token', async (t) => {
  const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
  const { app } = await buildTestApp(t, { METRICS_TOKEN }, database);
  const refused = [
    {},
    { authorization: 'Bearer wrong-token' },
    { authorization: `Bearer ${METRICS_TOKEN}x` },
    { authorization: `Basic ${Buffer.from(`prometheus:${METRICS_TOKEN}`).toString('base64')}` },
    { authorization: `Bearer ${await tokenFor(app, 'admin')}` },
  ];
  for (const headers of refused) {
    const res = await inject(app, { method: 'GET', url: '/metrics', headers });
    t.equal(res.statusCode, 401, `refused: ${headers.authorization ?? 'no header'}`);
    t.same(res.json(), { success: false, error: 401, code: 'unauthorized', message: 'a valid metrics token is required' });
    t.equal(res.headers['www-authenticate'], 'Bearer');
    t.notMatch(res.body, 'http_request_duration_seconds');
  }
  for (const scheme of ['Bearer', 'bearer']) {
    const res = await inject(app, {
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `${scheme} ${METRICS_TOKEN}` },
    });
    t.equal(res.statusCode, 200, `${scheme} <token> is accepted`);
    t.match(res.body, /^# TYPE http_request_duration_seconds histogram$/m);
  }
});

t.test('in production without METRICS_TOKEN, /metrics is 404 to everyone; with it, only the token opens it', async (t) => {
  const { app } = await buildTestApp(t, { NODE_ENV: 'production' }, database);
  for (const headers of [{}, { authorization: `Bearer ${await tokenFor(app, 'admin')}` }]) {
    const res = await inject(app, { method: 'GET', url: '/metrics', headers });
    t.equal(res.statusCode, 404, `refused: ${headers.authorization === undefined ? 'anonymous' : 'an admin token'}`);
    t.match(res.json(), { success: false, error: 404, code: 'not_found' });
    t.notMatch(res.body, 'http_request_duration_seconds');
  }
  const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
  const { app: guarded } = await buildTestApp(t, { NODE_ENV: 'production', METRICS_TOKEN }, database);
  t.equal((await inject(guarded, { method: 'GET', url: '/metrics' })).statusCode, 401, 'no token: 401');
  const res = await inject(guarded, {
    method: 'GET',
    url: '/metrics',
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  t.equal(res.statusCode, 200, 'the token: 200');
  t.match(res.body, /^# TYPE http_request_duration_seconds histogram$/m);
});
