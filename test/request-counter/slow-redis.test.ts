/**
 * A Redis that takes commands and never answers (a stalled server, a full network buffer): the counter's
 * increments are written and held, and no request waits for them. Once Redis answers again the count is exact.
 */
import t from 'tap';
import { buildTestApp, tokenFor } from '../helpers/app.ts';
import { client } from '../helpers/client.ts';
import { startHoldingProxy } from '../helpers/holding-proxy.ts';
import { injectMixed } from './fixtures.ts';

const redisUrl = process.env.REDIS_URL;
if (!redisUrl) {
  t.plan(0, 'REDIS_URL is not set: the stalled Redis is a real Redis behind a holding proxy');
  process.exit(0);
}

const proxy = await startHoldingProxy(t, redisUrl);
const { app } = await buildTestApp(t, { REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
const asAdmin = client(app, await tokenFor(app, 'admin'));

t.test('requests are answered while Redis holds every increment, and counted once it answers', async (t) => {
  const reset = await asAdmin.POST('/request-count/reset/');
  t.equal(reset.response.status, 200);

  proxy.hold();
  // Never released during these: had any of them waited on Redis, it would never be answered.
  await injectMixed(t, app, 200);
  await proxy.holding();
  t.pass('their increments reached the stalled Redis connection and are held there');

  proxy.release();
  const count = await asAdmin.GET('/request-count/');
  t.equal(count.response.status, 200);
  t.same(count.data, { requests: 200 + 1 }, 'every held increment counted, plus this request');
  t.equal(count.response.headers.get('x-request-count-partial'), null, 'and the figure is whole');
});
