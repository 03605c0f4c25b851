import t from 'tap';
import { notImplemented } from '../../src/spec/not-implemented.ts';
import { buildTestApp, inject } from '../helpers/app.ts';
import { startHoldingProxy } from '../helpers/holding-proxy.ts';

const redisUrl = process.env.REDIS_URL;
t.test(
  '/ready is 503 naming Redis when Redis is configured but does not answer',
  { skip: redisUrl ? false : 'REDIS_URL is not set: this test puts a proxy in front of a real Redis' },
  async (t) => {
    const proxy = await startHoldingProxy(t, redisUrl!);
    const { app } = await buildTestApp(t, {
      REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
      // The counter would wait for Redis before answering; /ready is what is under test here.
      REQUEST_COUNTER: 'false',
    });
    t.match((await inject(app, { method: 'GET', url: '/ready' })).json(), {
      status: 'ok',
      checks: { database: 'ok', redis: 'ok' },
    });

    proxy.hold();
    const res = await inject(app, { method: 'GET', url: '/ready' });
    t.equal(res.statusCode, 503);
    t.ok(Number(res.headers['retry-after']) > 0, 'Retry-After');
    t.same(res.json(), {
      success: false,
      error: 503,
      code: 'dependency_unavailable',
      message: 'not ready: redis down',
      details: [{ field: 'redis', message: 'unreachable' }],
    });
    t.equal((await inject(app, { method: 'GET', url: '/health' })).statusCode, 200, '/health checks nothing');
    proxy.release();
    t.equal((await inject(app, { method: 'GET', url: '/ready' })).statusCode, 200, 'ready again');
  },
);

t.test('/openapi.yaml and /openapi.json serve the same contract', async (t) => {
  const { app } = await buildTestApp(t);
  const yaml = await inject(app, { method: 'GET', url: '/openapi.yaml' });
  const json = await inject(app, { method: 'GET', url: '/openapi.json' });
  t.match(yaml.headers['content-type'], /^application\/yaml/);
  t.match(json.headers['content-type'], /^application\/json/);
  const { parse } = await import('yaml');
  t.same(parse(yaml.body), json.json(), 'one document, two encodings');
  const root = await inject(app, { method: 'GET', url: '/' });
  t.equal(root.statusCode, 302);
  t.equal(root.headers.location, '/docs');
});

t.test('an operation whose area is not built yet answers 501 in the error shape', async (t) => {
  const { app } = await buildTestApp(t);
  const { getHealth } = notImplemented(['getHealth']);
  // Every area is built now; the stand-in is what a new area's operations start as.
  app.get('/stand-in', (request, reply) => getHealth(request as never, reply));
  const res = await app.inject({ method: 'GET', url: '/stand-in' });
  t.equal(res.statusCode, 501);
  t.same(res.json(), { success: false, error: 501, code: 'not_implemented', message: 'getHealth is not implemented yet' });
});
