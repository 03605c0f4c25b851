import t, { type Test } from 'tap';
import { loadConfig } from '../../src/config/index.ts';
import { banner } from '../../src/operations/lifecycle.ts';
import { buildTestApp, inject, testEnv, tokenFor } from '../helpers/app.ts';
import { client } from '../helpers/client.ts';

// These run without Redis whatever the environment says: the in-process counter is what they check.
const { app, database } = await buildTestApp(t, { REDIS_URL: '' });
const admin = await tokenFor(app, 'admin');
const member = await tokenFor(app, 'member');

async function count(t: Test): Promise<number> {
  const res = await client(app, member).GET('/request-count/');
  t.equal(res.response.status, 200);
  t.notOk(res.response.headers.get('x-request-count-partial'), 'an in-process count is never partial');
  return res.data!.requests;
}

async function reset(t: Test): Promise<void> {
  const res = await client(app, admin).POST('/request-count/reset/');
  t.equal(res.response.status, 200);
  t.same(res.data, { message: 'request count reset successfully' });
}

t.test(
  'the count includes the counting request itself, and a reset wipes the reset request too',
  async (t) => {
    await reset(t);
    t.equal(await count(t), 1);
    t.equal(await count(t), 2);
    await reset(t);
    t.equal(await count(t), 1);
  },
);

t.test('every request is counted: 404, 405, 401, 403, 400, 415, docs and static assets', async (t) => {
  await reset(t);
  const requests = [
    { method: 'GET', url: '/no/such/thing', status: 404 },
    { method: 'DELETE', url: '/health', status: 405 },
    { method: 'GET', url: '/request-count/', status: 401 },
    { method: 'POST', url: '/request-count/reset/', token: member, status: 403 },
    {
      method: 'POST',
      url: '/actors',
      token: admin,
      headers: { 'content-type': 'application/json' },
      payload: '{"name":',
      status: 400,
    },
    {
      method: 'POST',
      url: '/actors',
      token: admin,
      headers: { 'content-type': 'text/plain' },
      payload: 'x',
      status: 415,
    },
    { method: 'GET', url: '/docs', status: 200 },
    { method: 'GET', url: '/openapi.json', status: 200 },
    { method: 'GET', url: '/health', status: 200 },
  ] as const;
  for (const { status, ...request } of requests) {
    const res = await inject(app, request);
    t.equal(res.statusCode, status, `${request.method} ${request.url}`);
  }
  // Not in the spec, so not through the contract check: served by @fastify/static and a plain route.
  for (const url of ['/docs/init.js', '/docs/assets/swagger-ui.css']) {
    t.equal((await app.inject({ method: 'GET', url })).statusCode, 200, url);
  }
  t.equal(await count(t), requests.length + 2 + 1);
});

t.test('resetting needs reset:request-count: a member is refused and the count goes on', async (t) => {
  await reset(t);
  const res = await inject(app, { method: 'POST', url: '/request-count/reset/', token: member });
  t.equal(res.statusCode, 403);
  t.match(res.json(), { success: false, error: 403 });
  t.equal(await count(t), 2, 'the refused reset is counted and nothing was wiped');
});

t.test('an anonymous caller may not read the count', async (t) => {
  const res = await inject(app, { method: 'GET', url: '/request-count/' });
  t.equal(res.statusCode, 401);
  t.equal(res.headers['www-authenticate'], 'Bearer');
});

t.test('the start banner says the count is kept in this process only, or that it is off', async (t) => {
  const counterLine = (env: Record<string, string>) =>
    banner(loadConfig(testEnv(env)).config, null).filter((line) => line.startsWith('request counter'));
  t.same(counterLine({ REDIS_URL: '' }), [
    'request counter: in this process only (no REDIS_URL): exact for a single process',
  ]);
  t.same(counterLine({ REDIS_URL: '', REQUEST_COUNTER: 'false' }), ['request counter: off (REQUEST_COUNTER=false)']);
});

t.test('with REQUEST_COUNTER=false there is no counter and both endpoints say it is off', async (t) => {
  const { app: off } = await buildTestApp(t, { REDIS_URL: '', REQUEST_COUNTER: 'false' }, database);
  for (const [method, url] of [
    ['GET', '/request-count/'],
    ['POST', '/request-count/reset/'],
  ] as const) {
    const res = await inject(off, { method, url, token: await tokenFor(off, 'admin') });
    t.equal(res.statusCode, 404, `${method} ${url}`);
    t.same(res.json(), {
      success: false,
      error: 404,
      code: 'not_found',
      message: 'the request counter is turned off on this server (REQUEST_COUNTER=false)',
    });
  }
  t.equal(off.requestCounter, undefined);
});
