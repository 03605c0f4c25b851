/* global console, fetch, process, URL */
// What a new user of the published package writes: plain JavaScript, nothing from the repository.
// Run as `node flow.mjs <baseUrl> <adminUsername> <adminPassword>`; prints what it saw as JSON.
import { createClient, etagOf, MarqueeError, PreconditionFailedError, revalidate, unwrap } from 'marquee-client';

const [baseUrl, adminUsername, adminPassword] = process.argv.slice(2);
const username = `outsider-${Date.now().toString(36)}`;
const password = 'outsider-password-123';

const anonymous = createClient({ baseUrl });
const user = await unwrap(anonymous.POST('/api/auth/register/', { body: { username, password } }));

const admin = createClient({ baseUrl });
await admin.login(adminUsername, adminPassword);
await unwrap(admin.PATCH('/api/v1/users/{id}', { params: { path: { id: user.id } }, body: { role: 'executive_producer' } }));

const api = createClient({ baseUrl });
const pair = await api.login(username, password);
const { actor } = await unwrap(api.POST('/actors', { body: { name: 'Peter', age: 23, gender: 'M' } }));
const { movie } = await unwrap(
  api.POST('/movies', { body: { title: 'Genesis', release_date: '2020-03-30', actors_id: [actor.id] } }),
);

const posted = [];
for (let i = 0; i < 5; i++) posted.push((await unwrap(api.POST('/api/messages', { body: { content: `message ${i}` } }))).id);
const paged = [];
for await (const message of api.paginate('/api/messages', { query: { limit: 2 } })) paged.push(message.id);

// An access token the server refuses, with a good refresh token: one refresh, then the request goes through.
const refreshed = [];
const stale = createClient({
  baseUrl,
  auth: { accessToken: 'not-a-token', refreshToken: pair.refresh, onTokens: (tokens) => refreshed.push(tokens.refresh) },
});
const me = await unwrap(stale.GET('/api/v1/user'));

let notFound;
try {
  await unwrap(api.GET('/actors/{id}', { params: { path: { id: 2147483647 } } }));
} catch (error) {
  if (!(error instanceof MarqueeError)) throw error;
  notFound = { status: error.status, body: error.body };
}

// A POST whose answer is lost on the way back (the server did create): the SDK retries it with the same
// Idempotency-Key, and the server replays the first answer instead of creating again.
let failures = 0;
const flaky = createClient({
  baseUrl,
  auth: { accessToken: pair.access },
  fetch: async (request) => {
    const response = await fetch(request);
    if (failures === 0 && request.method === 'POST' && new URL(request.url).pathname === '/api/messages') {
      failures += 1;
      await response.body?.cancel();
      throw new TypeError('fetch failed (injected after the server answered)');
    }
    return response;
  },
});
const retriedPost = await flaky.POST('/api/messages', { body: { content: 'sent once, answered twice' } });
const copies = [];
for await (const message of api.paginate('/api/messages', { query: { limit: 100 } })) {
  if (message.content === 'sent once, answered twice') copies.push(message.id);
}
const retried = {
  status: retriedPost.response.status,
  replayed: retriedPost.response.headers.get('idempotent-replayed'),
  id: retriedPost.data?.id,
  failures,
  copies,
};

// Conditional requests: a 304 for the tag held, a typed error for a stale If-Match.
const path = { id: actor.id };
const tag = etagOf(await api.GET('/actors/{id}', { params: { path } }));
const current = await revalidate(api.GET('/actors/{id}', { params: { path, header: { 'If-None-Match': tag } } }));
let staleTag;
try {
  await unwrap(api.PATCH('/actors/{id}', { params: { path, header: { 'If-Match': '"stale"' } }, body: { age: 24 } }));
} catch (error) {
  if (!(error instanceof PreconditionFailedError)) throw error;
  staleTag = { status: error.status, code: error.body.code };
}
const conditional = { tag, notModified: current.notModified, stale: staleTag };

console.log(JSON.stringify({ user, actor, movie, posted, paged, me, refreshed: refreshed.length, notFound, retried, conditional }));
