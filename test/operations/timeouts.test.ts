import t from 'tap';
import { buildTestApp } from '../helpers/app.ts';
import { client } from '../helpers/client.ts';
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
    const api = client(app);
    t.equal((await api.GET('/ready')).response.status, 200, 'fast enough: 200');

    // /ready waits up to 2 s for Redis; held here, it outlives the 300 ms handler timeout.
    proxy.hold();
    const res = await api.GET('/ready');
    t.equal(res.response.status, 503);
    t.same(res.error, { success: false, error: 503, code: 'timed_out', message: 'request timed out' });
    proxy.release();

    t.equal((await api.GET('/health')).response.status, 200, 'the app carries on');
  });
}
