// The SDK's session middleware against a scripted fetch: what it sends, how often, and what the caller gets.
import t from 'tap';
import { createClient, MarqueeError, unwrap } from '../../sdk/src/index.ts';

interface Sent {
  method: string;
  path: string;
  authorization: string | null;
  key: string | null;
  body: string;
}

/** A fetch that records each request and answers with the next scripted reply for its path. */
function scripted(replies: Record<string, (sent: Sent, n: number) => Response>) {
  const sent: Sent[] = [];
  const fetch = async (request: Request) => {
    const path = new URL(request.url).pathname;
    const entry = {
      method: request.method,
      path,
      authorization: request.headers.get('authorization'),
      key: request.headers.get('idempotency-key'),
      body: await request.text(),
    };
    sent.push(entry);
    const reply = replies[path];
    if (!reply) throw new Error(`unexpected request to ${path}`);
    return reply(entry, sent.filter((s) => s.path === path).length);
  };
  return { sent, fetch };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const refused = (status: number, headers: Record<string, string> = {}) =>
  json(status, { success: false, error: status, message: 'no' }, headers);
const me = { id: 1, username: 'maya' };
const baseUrl = 'http://api.test';

t.test('sends the bearer token it was given', async (t) => {
  const { sent, fetch } = scripted({ '/api/v1/user': () => json(200, me) });
  const api = createClient({ baseUrl, fetch, auth: { accessToken: 'a1' } });
  t.same((await api.GET('/api/v1/user')).data, me);
  t.equal(sent[0]?.authorization, 'Bearer a1');
});

t.test('a 401 with a refresh token: one refresh, the new pair kept, the request sent again', async (t) => {
  const pairs: unknown[] = [];
  const { sent, fetch } = scripted({
    '/api/v1/user': (s) => (s.authorization === 'Bearer a2' ? json(200, me) : refused(401)),
    '/api/auth/token/refresh/': () => json(200, { access: 'a2', refresh: 'r2' }),
  });
  const api = createClient({ baseUrl, fetch, auth: { accessToken: 'a1', refreshToken: 'r1', onTokens: (p) => pairs.push(p) } });
  const res = await api.GET('/api/v1/user');
  t.equal(res.response.status, 200);
  t.same(
    sent.map((s) => `${s.path} ${s.authorization ?? s.body}`),
    ['/api/v1/user Bearer a1', '/api/auth/token/refresh/ {"refresh":"r1"}', '/api/v1/user Bearer a2'],
  );
  t.same(pairs, [{ access: 'a2', refresh: 'r2' }]);
  t.same(api.tokens, { access: 'a2', refresh: 'r2' });
});

t.test('refreshes at most once per request, and not at all without a refresh token', async (t) => {
  const always = scripted({
    '/api/v1/user': () => refused(401),
    '/api/auth/token/refresh/': (_s, n) => json(200, { access: `a${n + 1}`, refresh: `r${n + 1}` }),
  });
  const api = createClient({ baseUrl, fetch: always.fetch, auth: { accessToken: 'a1', refreshToken: 'r1' } });
  t.equal((await api.GET('/api/v1/user')).response.status, 401, 'the second 401 is the answer');
  t.equal(always.sent.length, 3, 'request, refresh, retry');

  const failing = scripted({
    '/api/v1/user': () => refused(401),
    '/api/auth/token/refresh/': () => refused(401),
  });
  const stale = createClient({ baseUrl, fetch: failing.fetch, auth: { accessToken: 'a1', refreshToken: 'spent' } });
  t.equal((await stale.GET('/api/v1/user')).response.status, 401);
  t.equal(failing.sent.length, 2, 'request and the refused refresh, no retry');
  t.equal(stale.tokens.refresh, undefined, 'the refused refresh token is dropped');

  const login = scripted({ '/api/auth/token/': () => refused(401), '/api/auth/token/refresh/': () => refused(500) });
  const relogin = createClient({ baseUrl, fetch: login.fetch, auth: { accessToken: 'a1', refreshToken: 'r1' } });
  await t.rejects(relogin.login('maya', 'wrong-password'), { name: 'MarqueeError', status: 401 });
  t.same(login.sent.map((s) => s.path), ['/api/auth/token/'], 'wrong credentials spend no refresh token');

  const none = scripted({ '/api/v1/user': () => refused(401) });
  const bare = createClient({ baseUrl, fetch: none.fetch, auth: { accessToken: 'a1' } });
  t.equal((await bare.GET('/api/v1/user')).response.status, 401);
  t.equal(none.sent.length, 1);
});

t.test('requests refused together share one refresh: a refresh token is spent once', async (t) => {
  const { sent, fetch } = scripted({
    '/api/v1/user': (s) => (s.authorization === 'Bearer a2' ? json(200, me) : refused(401)),
    '/api/auth/token/refresh/': () => json(200, { access: 'a2', refresh: 'r2' }),
  });
  const api = createClient({ baseUrl, fetch, auth: { accessToken: 'a1', refreshToken: 'r1' } });
  const answers = await Promise.all([1, 2, 3, 4].map(() => api.GET('/api/v1/user')));
  t.same(answers.map((a) => a.response.status), [200, 200, 200, 200]);
  t.equal(sent.filter((s) => s.path === '/api/auth/token/refresh/').length, 1);
});

t.test('idempotent requests answered 503 or 429 are retried after Retry-After, a bounded number of times', async (t) => {
  const flaky = scripted({ '/api/v1/user': (_s, n) => (n < 3 ? refused(n === 1 ? 503 : 429, { 'retry-after': '0' }) : json(200, me)) });
  const api = createClient({ baseUrl, fetch: flaky.fetch });
  t.equal((await api.GET('/api/v1/user')).response.status, 200, 'third attempt answers');
  t.equal(flaky.sent.length, 3);

  const down = scripted({ '/actors/1': () => refused(503) });
  const bounded = createClient({ baseUrl, fetch: down.fetch, retry: { attempts: 4, maxDelayMs: 1000 } });
  const res = await bounded.GET('/actors/{id}', { params: { path: { id: 1 } } });
  t.equal(res.response.status, 503, 'the last answer is returned');
  t.equal(res.error?.error, 503, 'typed error body');
  t.equal(down.sent.length, 4, 'attempts in all');
});

t.test('a PUT is retried with its body; a POST is retried with one Idempotency-Key; a Retry-After past the limit ends retries', async (t) => {
  const puts = scripted({ '/api/messages/1': (_s, n) => (n === 1 ? refused(503, { 'retry-after': '0' }) : json(200, {})) });
  const api = createClient({ baseUrl, fetch: puts.fetch });
  await api.PUT('/api/messages/{id}', { params: { path: { id: 1 } }, body: { content: 'again' } });
  t.same(puts.sent.map((s) => s.body), ['{"content":"again"}', '{"content":"again"}']);

  const posts = scripted({ '/api/messages': (_s, n) => (n < 3 ? refused(503, { 'retry-after': '0' }) : json(201, {})) });
  const poster = createClient({ baseUrl, fetch: posts.fetch });
  t.equal((await poster.POST('/api/messages', { body: { content: 'once' } })).response.status, 201);
  t.equal(posts.sent.length, 3, 'a POST is retried');
  const keys = new Set(posts.sent.map((s) => s.key));
  t.equal(keys.size, 1, 'every attempt carries the same key');
  t.match([...keys][0], /^[\x21-\x7E]{1,255}$/, 'a key the server accepts');

  const chosen = scripted({ '/api/messages': () => json(201, {}) });
  const keyed = createClient({ baseUrl, fetch: chosen.fetch });
  await keyed.POST('/api/messages', { body: { content: 'mine' }, params: { header: { 'Idempotency-Key': 'my-key' } } });
  t.equal(chosen.sent[0]?.key, 'my-key', "the caller's own key is kept");

  const logins = scripted({ '/api/auth/token/': () => refused(503, { 'retry-after': '0' }) });
  const login = createClient({ baseUrl, fetch: logins.fetch });
  await login.POST('/api/auth/token/', { body: { username: 'maya', password: 'secret' } });
  t.same(logins.sent.map((s) => s.key), [null], 'a login gets no key and is not retried');

  const later = scripted({ '/api/v1/user': () => refused(429, { 'retry-after': '3600' }) });
  const patient = createClient({ baseUrl, fetch: later.fetch, retry: { maxDelayMs: 5000 } });
  t.equal((await patient.GET('/api/v1/user')).response.status, 429);
  t.equal(later.sent.length, 1, 'not retried before the server allows it');
});

t.test('unwrap returns the data, or throws a MarqueeError carrying the error body', async (t) => {
  const { fetch } = scripted({ '/api/v1/user': (_s, n) => (n === 1 ? json(200, me) : refused(404)) });
  const api = createClient({ baseUrl, fetch });
  t.same(await unwrap(api.GET('/api/v1/user')), me);
  const error = await unwrap(api.GET('/api/v1/user')).catch((e: unknown) => e);
  t.ok(error instanceof MarqueeError);
  t.match(error, { status: 404, body: { success: false, error: 404, message: 'no' } });
});

t.test('a network error: a POST and a GET are sent again with the same key; a PATCH is not', async (t) => {
  const sent: { method: string; key: string | null }[] = [];
  let failures = 0;
  const flaky = async (request: Request) => {
    sent.push({ method: request.method, key: request.headers.get('idempotency-key') });
    if (failures < 1 || (request.method === 'PATCH' && failures < 5)) {
      failures += 1;
      throw new TypeError('fetch failed');
    }
    failures = 0;
    return json(request.method === 'POST' ? 201 : 200, {});
  };
  const api = createClient({ baseUrl, fetch: flaky });
  t.equal((await api.POST('/api/messages', { body: { content: 'lost' } })).response.status, 201);
  t.equal(sent.length, 2);
  t.ok(sent[0]?.key && sent[0].key === sent[1]?.key, 'the retry carries the first attempt\'s key');
  sent.length = 0;
  t.equal((await api.GET('/api/v1/user')).response.status, 200);
  t.equal(sent.length, 2, 'a GET is retried');
  sent.length = 0;
  failures = 0;
  await t.rejects(api.PATCH('/api/messages/{id}', { params: { path: { id: 1 } }, body: { content: 'x' } }), TypeError);
  t.equal(sent.length, 1, 'a PATCH is not');
});
