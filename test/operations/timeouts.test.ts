import t from 'tap';
import { buildTestApp, inject } from '../helpers/app.ts';
import { startHoldingProxy } from '../helpers/holding-proxy.ts';

const redisUrl = process.env.REDIS_URL;
if (!redisUrl) {
  t.plan(0, 'REDIS_URL is not set: the slow request needs a real Redis behind a holding proxy');
} else {
  t.test('a request still unanswered after HANDLER_TIMEOUT_MS gets a 503 in the error shape', async (t) => {
    const proxy = await startHoldingProxy(t, redisUrl);
    const { app } = await buildTestApp(t, {
      REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
      HANDLER_TIMEOUT_MS: '300',
    });
    t.equal((await inject(app, { method: 'GET', url: '/ready' })).statusCode, 200, 'fast enough: 200');

    // /ready waits up to 2 s for Redis; held here, it outlives the 300 ms handler timeout.
    proxy.hold();
    const res = await inject(app, { method: 'GET', url: '/ready' });
    t.equal(res.statusCode, 503);
    t.same(res.json(), { success: false, error: 503, code: 'timed_out', message: 'request timed out' });
    proxy.release();

    t.equal((await inject(app, { method: 'GET', url: '/health' })).statusCode, 200, 'the app carries on');
  });
}
