import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { buildTestApp, inject, tokenFor } from '../helpers/app.ts';
import { rowCount } from '../helpers/database.ts';
import { createUser } from '../helpers/users.ts';
import { castingFixtures } from '../casting/fixtures.ts';
import { createCollection, movie } from '../collections/fixtures.ts';

const first = await buildTestApp(t);
const { app, db, database } = first;
const alice = await createUser(app, db);
const bob = await createUser(app, db);
const producer = await tokenFor(app, 'executive_producer');
const fixtures = await castingFixtures(app);
const actor = await fixtures.actor();

const post = (url: string, token: string, payload: object, key?: string) =>
  inject(app, { method: 'POST', url, token, payload, headers: key === undefined ? {} : { 'idempotency-key': key } });

t.test('a repeat with the same key and body replays the first answer and creates nothing', async (t) => {
  const created = await post('/api/messages', alice.token, { content: 'once' }, 'key-1');
  t.equal(created.statusCode, 201);
  t.equal(created.headers['idempotent-replayed'], undefined, 'the first answer is not a replay');
  const count = await rowCount(db, 'messages');
  const replayed = await post('/api/messages', alice.token, { content: 'once' }, 'key-1');
  t.equal(replayed.statusCode, 201);
  t.equal(replayed.headers['idempotent-replayed'], 'true');
  t.same(replayed.json(), created.json(), 'the same body');
  t.match(created.headers.location, /^\/api\/messages\/\d+$/, 'the first answer says where the message is');
  t.equal(replayed.headers.location, created.headers.location, 'the replay carries the same Location');
  t.equal(replayed.headers.etag, created.headers.etag, 'and the same ETag');
  t.equal(await rowCount(db, 'messages'), count, 'nothing created');
});

t.test('the same key with another body is 422 idempotency_key_reused, and nothing is written', async (t) => {
  await post('/api/messages', alice.token, { content: 'first body' }, 'key-2');
  const count = await rowCount(db, 'messages');
  const res = await post('/api/messages', alice.token, { content: 'second body' }, 'key-2');
  t.equal(res.statusCode, 422);
  t.equal(res.json().code, 'idempotency_key_reused');
  t.equal(await rowCount(db, 'messages'), count);
});

t.test('a key is scoped to its user and its operation', async (t) => {
  const count = await rowCount(db, 'messages');
  t.equal((await post('/api/messages', alice.token, { content: 'shared key' }, 'key-3')).statusCode, 201);
  const other = await post('/api/messages', bob.token, { content: 'shared key' }, 'key-3');
  t.equal(other.statusCode, 201);
  t.equal(other.headers['idempotent-replayed'], undefined, "another user's key is another key");
  t.equal(await rowCount(db, 'messages'), count + 2);
  const collection = await inject(app, {
    method: 'POST', url: '/collection/', token: alice.token, payload: { title: 'shared key', movies: [] },
    headers: { 'idempotency-key': 'key-3' },
  });
  t.equal(collection.statusCode, 201, 'another operation with the same key');
});

t.test('without a key, every POST creates, as before', async (t) => {
  const count = await rowCount(db, 'messages');
  await post('/api/messages', alice.token, { content: 'twice' });
  await post('/api/messages', alice.token, { content: 'twice' });
  t.equal(await rowCount(db, 'messages'), count + 2);
});

t.test('a malformed key is a 400 naming the header, and nothing is written', async (t) => {
  const count = await rowCount(db, 'messages');
  for (const key of ['', 'has space', 'x'.repeat(256), 'tab\tbed', 'ünïcode']) {
    const res = await post('/api/messages', alice.token, { content: 'bad key' }, key);
    t.equal(res.statusCode, 400, JSON.stringify(key));
    t.equal(res.json().code, 'validation_failed');
  }
  t.equal(await rowCount(db, 'messages'), count);
  t.equal((await post('/api/messages', alice.token, { content: 'long key' }, 'k'.repeat(255))).statusCode, 201);
});

t.test('the same fields in another order are the same body: replayed, not refused', async (t) => {
  const first = { title: 'Ordered', movies: [movie('Drama')] };
  const [item] = first.movies;
  const reordered = {
    movies: [Object.fromEntries(Object.entries(item!).reverse())],
    title: 'Ordered',
  };
  const created = await post('/collection/', alice.token, first, 'order-key');
  t.equal(created.statusCode, 201);
  const count = await rowCount(db, 'collections');
  const replayed = await post('/collection/', alice.token, reordered, 'order-key');
  t.equal(replayed.statusCode, 201, 'not a 422');
  t.equal(replayed.headers['idempotent-replayed'], 'true');
  t.same(replayed.json(), created.json());
  t.equal(await rowCount(db, 'collections'), count, 'nothing created');
});

t.test('every creating POST replays: actors, movies, collections, movies added to a collection', async (t) => {
  const uuid = await createCollection(app, alice.token, []);
  const cases = [
    { url: '/actors', token: producer, payload: { name: 'Keyed', age: 40, gender: 'F' }, table: 'actors' },
    { url: '/movies', token: producer, payload: { title: 'Keyed', release_date: '2020-01-01', actors_id: [actor.id] }, table: 'movies' },
    { url: '/collection/', token: alice.token, payload: { title: 'Keyed', movies: [] }, table: 'collections' },
    { url: `/collection/${uuid}/movies`, token: alice.token, payload: movie('Drama'), table: 'collection_movies' },
  ] as const;
  for (const { url, token, payload, table } of cases) {
    const created = await post(url, token, payload, `op-${url}`);
    t.equal(created.statusCode, 201, url);
    const count = await rowCount(db, table);
    const replayed = await post(url, token, payload, `op-${url}`);
    t.equal(replayed.statusCode, 201, url);
    t.equal(replayed.headers['idempotent-replayed'], 'true', url);
    t.same(replayed.json(), created.json(), `${url}: the same body`);
    t.equal(replayed.headers.location, created.headers.location, `${url}: the same Location`);
    t.equal(replayed.headers.etag, created.headers.etag, `${url}: the same ETag`);
    t.equal(await rowCount(db, table), count, `${url}: nothing created`);
  }
});

t.test('a refusal below 500 is replayed too; the same request is refused again without running', async (t) => {
  const refused = await post('/movies', producer, { title: 'No cast', release_date: '2020-01-01', actors_id: [] }, 'refused');
  t.equal(refused.statusCode, 422);
  const again = await post('/movies', producer, { title: 'No cast', release_date: '2020-01-01', actors_id: [] }, 'refused');
  t.equal(again.statusCode, 422);
  t.equal(again.headers['idempotent-replayed'], 'true');
});

t.test('an expired key is taken over by a new request, and expired keys are purged', async (t) => {
  await post('/api/messages', alice.token, { content: 'old' }, 'expiring');
  await db.updateTable('idempotency_keys').set({ expires_at: new Date(Date.now() - 1000) }).where('key', '=', 'expiring').execute();
  const count = await rowCount(db, 'messages');
  const res = await post('/api/messages', alice.token, { content: 'new' }, 'expiring');
  t.equal(res.statusCode, 201);
  t.equal(res.headers['idempotent-replayed'], undefined);
  t.equal(await rowCount(db, 'messages'), count + 1);
  await db.updateTable('idempotency_keys').set({ expires_at: new Date(Date.now() - 1000) }).where('key', '=', 'expiring').execute();
  // The purge runs when an app is ready.
  const other = await buildTestApp(t, {}, database);
  await other.app.ready();
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const left = await db.selectFrom('idempotency_keys').select('key').where('key', '=', 'expiring').execute();
    if (left.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  t.same(await db.selectFrom('idempotency_keys').select('key').where('key', '=', 'expiring').execute(), []);
});

t.test('a key whose first request is still running is 409 with Retry-After; an abandoned claim is taken over', async (t) => {
  const payload = { content: 'still running' };
  const hash = createHash('sha256').update(`POST /api/messages\n${JSON.stringify(payload)}`).digest('base64url');
  const claim = (key: string, claimedAt: Date) =>
    db
      .insertInto('idempotency_keys')
      .values({ user_id: alice.id, operation: 'createMessage', key, request_hash: hash, expires_at: new Date(Date.now() + 60_000) })
      .execute()
      .then(() => db.updateTable('idempotency_keys').set({ claimed_at: claimedAt }).where('key', '=', key).execute());
  await claim('running', new Date());
  const count = await rowCount(db, 'messages');
  const busy = await post('/api/messages', alice.token, payload, 'running');
  t.equal(busy.statusCode, 409);
  t.equal(busy.json().code, 'idempotency_in_progress');
  t.equal(busy.headers['retry-after'], '1');
  t.equal(await rowCount(db, 'messages'), count, 'nothing created');
  await claim('abandoned', new Date(Date.now() - 3_600_000));
  const taken = await post('/api/messages', alice.token, payload, 'abandoned');
  t.equal(taken.statusCode, 201, 'a claim unanswered for an hour was abandoned: the request runs');
  t.equal(await rowCount(db, 'messages'), count + 1);
});

t.test('a replay after a restart: a new app on the same database replays the first answer', async (t) => {
  const created = await post('/api/messages', alice.token, { content: 'before restart' }, 'restart');
  await app.close();
  const second = await buildTestApp(t, {}, database);
  const count = await rowCount(db, 'messages');
  const replayed = await inject(second.app, {
    method: 'POST', url: '/api/messages', token: alice.token, payload: { content: 'before restart' },
    headers: { 'idempotency-key': 'restart' },
  });
  t.equal(replayed.statusCode, 201);
  t.equal(replayed.headers['idempotent-replayed'], 'true');
  t.same(replayed.json(), created.json());
  t.equal(await rowCount(db, 'messages'), count);

  // 50 concurrent POSTs with one key, over real connections: exactly one message.
  await second.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (second.app.server.address() as AddressInfo).port;
  const before = await rowCount(db, 'messages');
  const answers = await Promise.all(
    Array.from({ length: 50 }, () =>
      fetch(`http://127.0.0.1:${port}/api/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json', 'idempotency-key': 'fifty' },
        body: JSON.stringify({ content: 'fifty at once' }),
        signal: AbortSignal.timeout(60_000),
      }),
    ),
  );
  t.equal(await rowCount(db, 'messages'), before + 1, 'exactly one message');
  const statuses = new Set(answers.map((answer) => answer.status));
  t.ok([...statuses].every((status) => status === 201 || status === 409), `201 or 409 only: ${[...statuses]}`);
  const created201 = answers.filter((answer) => answer.status === 201 && !answer.headers.get('idempotent-replayed'));
  t.equal(created201.length, 1, 'one answer created it; the others replayed it or were asked to retry');
  for (const answer of answers.filter((a) => a.status === 409)) {
    t.equal(answer.headers.get('retry-after'), '1');
    t.equal(((await answer.json()) as { code: string }).code, 'idempotency_in_progress');
  }
});
