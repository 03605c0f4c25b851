import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import t, { type Test } from 'tap';
import { buildApp, loggerOptions } from '../../src/app.ts';
import { type Env, loadConfig } from '../../src/config/index.ts';
import { testEnv } from '../helpers/app.ts';
import { createTestDatabase } from '../helpers/database.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const database = await createTestDatabase(t);

/** The app as production builds it (its own logger options), logging at `trace` into an array. */
async function appWithLog(
  t: Test,
  env: Env = {},
): Promise<{ app: FastifyInstance; lines: () => Array<Record<string, unknown>>; raw: () => string }> {
  const { config } = loadConfig(testEnv({ LOG_LEVEL: 'trace', ...env }));
  let raw = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      raw += chunk.toString();
      done();
    },
  });
  const app = await buildApp(config, { db: database.db, logger: { ...loggerOptions(config), stream } });
  t.teardown(() => app.close());
  return {
    app,
    raw: () => raw,
    lines: () =>
      raw
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

t.test('an incoming X-Request-Id is echoed and carried by every log line of the request', async (t) => {
  const { app, lines } = await appWithLog(t);
  const id = 'edge-7d1c.2f:req_42';
  const res = await app.inject({ method: 'GET', url: '/actors/1', headers: { 'x-request-id': id } });
  t.equal(res.headers['x-request-id'], id);
  const all = lines();
  const first = all.findIndex((line) => line.msg === 'incoming request');
  const last = all.findIndex((line) => line.msg === 'request completed');
  t.equal(all[first]?.reqId, id);
  t.equal(all[last]?.reqId, id);
  t.same(
    all.slice(first, last + 1).filter((line) => line.reqId !== id),
    [],
    'every line logged while handling the request carries its id',
  );
});

t.test('at the default level a request is one access-log line: the request, its status and its time', async (t) => {
  const { app, lines } = await appWithLog(t, { LOG_LEVEL: 'info' });
  const id = 'one-line-per-request';
  const res = await app.inject({ method: 'GET', url: '/actors/1', headers: { 'x-request-id': id } });
  const mine = lines().filter((line) => line.reqId === id);
  t.equal(mine.length, 1, 'no `incoming request` line at info');
  t.match(mine[0], {
    level: 30,
    msg: 'request completed',
    req: { method: 'GET', url: '/actors/1', remoteAddress: '127.0.0.1' },
    res: { statusCode: res.statusCode },
    responseTime: Number,
  });
});

t.test('a missing or unsafe X-Request-Id is replaced by a fresh UUID', async (t) => {
  const { app, lines } = await appWithLog(t);
  const unsafe = ['x'.repeat(129), 'two words', 'id"with"quotes', 'ümlaut', 'a,b', ''];
  const seen = new Set<string>();
  for (const value of [undefined, ...unsafe]) {
    const headers = value === undefined ? {} : { 'x-request-id': value };
    const res = await app.inject({ method: 'GET', url: '/health', headers });
    const echoed = String(res.headers['x-request-id']);
    t.match(echoed, UUID, `${JSON.stringify(value)} → a UUID`);
    seen.add(echoed);
    t.ok(
      lines().some((line) => line.reqId === echoed && line.msg === 'request completed'),
      'the log uses the same id',
    );
  }
  t.equal(seen.size, unsafe.length + 1, 'each request gets its own');
  const longest = 'y'.repeat(128);
  const res = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': longest } });
  t.equal(res.headers['x-request-id'], longest, '128 characters are still accepted');
});

t.test('credentials never reach the log, whatever carries them', async (t) => {
  const { app, raw } = await appWithLog(t, { METRICS_TOKEN: 'metrics-token-that-is-configured' });
  const secrets = Array.from({ length: 9 }, (_, i) => `s3cret-${i}-${Math.random().toString(36).slice(2)}`);
  await app.inject({ method: 'GET', url: '/actors/1', headers: { authorization: `Bearer ${secrets[0]}` } });
  await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${secrets[1]}` } });
  await app.inject({ method: 'GET', url: '/health', headers: { cookie: `session=${secrets[2]}` } });
  await app.inject({
    method: 'POST',
    url: '/api/auth/token/',
    payload: { username: 'nobody', password: secrets[3] },
  });
  await app.inject({
    method: 'POST',
    url: '/api/v1/authenticate',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: `username=nobody&password=${secrets[4]}`,
  });
  // What a careless handler might hand the logger:
  app.log.info(
    {
      req: { headers: { authorization: `Bearer ${secrets[5]}`, cookie: `sid=${secrets[6]}` } },
      password: secrets[7],
      body: { password: secrets[8], refresh_token: secrets[8], access_token: secrets[8] },
    },
    'careless',
  );
  const output = raw();
  t.match(output, '"careless"');
  t.match(output, '[redacted]');
  for (const secret of secrets) t.notMatch(output, secret, `${secret.slice(0, 8)}… is not logged`);
});

t.test('TRUST_PROXY decides whose address the log (and the rate limiter) sees', async (t) => {
  const forwarded = { 'x-forwarded-for': '203.0.113.7' };
  const addressOf = async (env: Env) => {
    const { app, lines } = await appWithLog(t, env);
    const res = await app.inject({ method: 'GET', url: '/health', headers: forwarded });
    const line = lines().find((l) => l.reqId === res.headers['x-request-id'] && l.msg === 'incoming request');
    return (line?.req as { remoteAddress?: string } | undefined)?.remoteAddress;
  };
  t.equal(await addressOf({}), '127.0.0.1', 'untrusted: X-Forwarded-For is ignored');
  t.equal(await addressOf({ TRUST_PROXY: '127.0.0.1' }), '203.0.113.7', 'a trusted proxy: the client');
  t.equal(await addressOf({ TRUST_PROXY: 'uniquelocal' }), '127.0.0.1', 'loopback is not in uniquelocal');
});
