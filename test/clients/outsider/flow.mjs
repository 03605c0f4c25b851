/* global console, process */
// What a new user of the published package writes: plain JavaScript, nothing from the repository.
// Run as `node flow.mjs <baseUrl> <adminUsername> <adminPassword>`; prints what it saw as JSON.
import { createClient, MarqueeError, unwrap } from 'marquee-client';

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

console.log(JSON.stringify({ user, actor, movie, posted, paged, me, refreshed: refreshed.length, notFound }));
