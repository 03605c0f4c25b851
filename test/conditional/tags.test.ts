import t from 'tap';
import { buildTestApp, inject, tokenFor } from '../helpers/app.ts';
import { createUser } from '../helpers/users.ts';
import { castingFixtures, castingSnapshot } from '../casting/fixtures.ts';
import { createCollection, movie, tableCounts } from '../collections/fixtures.ts';
import { insertMessage, snapshot, viewsOf } from '../messages/fixtures.ts';

const { app, db } = await buildTestApp(t);
const director = await tokenFor(app, 'executive_producer');
const admin = await createUser(app, db, { role: 'admin' });
const alice = await createUser(app, db);
const fixtures = await castingFixtures(app);
const actor = await fixtures.actor();
const film = await fixtures.movie([actor.id]);
const message = await insertMessage(db, alice.id, 'hello');
const collection = await createCollection(app, alice.token, [movie('Drama')]);

const ETAG = /^"[\w-]{22}"$/;

/** Every single-resource GET, with whom it is read as. */
const reads = [
  { name: 'actor', url: `/actors/${actor.id}`, token: director },
  { name: 'actor details', url: `/actor-details/${actor.id}`, token: director },
  { name: 'movie', url: `/movies/${film.id}`, token: director },
  { name: 'movie details', url: `/movie-details/${film.id}`, token: director },
  { name: 'message', url: `/api/messages/${message.id}`, token: undefined },
  { name: 'collection', url: `/collection/${collection}/`, token: alice.token },
  { name: 'user', url: '/api/v1/user', token: alice.token },
];

t.test('a created actor, movie, message or collection says where it is; its ETag is the one its GET gives', async (t) => {
  const creates = [
    { url: '/actors', token: director, payload: { name: 'Located', age: 30, gender: 'M' }, path: /^\/actors\/\d+$/ },
    {
      url: '/movies',
      token: director,
      payload: { title: 'Located', release_date: '2021-02-03', actors_id: [actor.id] },
      path: /^\/movies\/\d+$/,
    },
    { url: '/api/messages', token: alice.token, payload: { content: 'located' }, path: /^\/api\/messages\/\d+$/ },
    { url: '/collection/', token: alice.token, payload: { title: 'Located', movies: [] }, path: /^\/collection\/[\w-]+\/$/ },
  ];
  for (const { url, token, payload, path } of creates) {
    const created = await inject(app, { method: 'POST', url, token, payload });
    t.equal(created.statusCode, 201, url);
    const location = String(created.headers.location);
    t.match(location, path, `${url}: Location is the new resource's path`);
    const read = await inject(app, { method: 'GET', url: location, token });
    t.equal(read.statusCode, 200, `${url}: the Location can be read`);
    if (url === '/collection/') {
      t.equal(created.headers.etag, undefined, `${url}: no tag on an answer that is only the uuid`);
      continue;
    }
    t.equal(created.headers.etag, read.headers.etag, `${url}: the 201's ETag is the GET's`);
  }
  const actorCreated = await inject(app, { method: 'POST', url: '/actors', token: director, payload: creates[0]!.payload });
  const edited = await inject(app, {
    method: 'PATCH',
    url: String(actorCreated.headers.location),
    token: director,
    payload: { age: 31 },
    headers: { 'if-match': String(actorCreated.headers.etag) },
  });
  t.equal(edited.statusCode, 200, "an edit with the 201's tag goes through without a read first");
});

t.test('every single-resource GET carries an ETag; If-None-Match with it is a 304 with no body; HEAD carries it', async (t) => {
  for (const { name, url, token } of reads) {
    const first = await inject(app, { method: 'GET', url, token });
    t.equal(first.statusCode, 200, name);
    const tag = first.headers.etag;
    t.match(tag, ETAG, `${name}: a strong tag`);
    const head = await inject(app, { method: 'HEAD', url, token });
    t.equal(head.headers.etag, tag, `${name}: HEAD carries the same tag`);
    const again = await inject(app, { method: 'GET', url, token, headers: { 'if-none-match': String(tag) } });
    t.equal(again.statusCode, 304, `${name}: 304`);
    t.equal(again.body, '', `${name}: no body`);
    t.equal(again.headers.etag, tag, `${name}: the 304 names the tag`);
    const weak = await inject(app, { method: 'GET', url, token, headers: { 'if-none-match': `"other", W/${tag}` } });
    t.equal(weak.statusCode, 304, `${name}: a weak form of the tag in a list matches too`);
    const stale = await inject(app, { method: 'GET', url, token, headers: { 'if-none-match': '"stale"' } });
    t.equal(stale.statusCode, 200, `${name}: another tag gets the body`);
    t.same(stale.json(), first.json().views === undefined ? first.json() : stale.json(), name);
  }
});

t.test('a change gives a new tag', async (t) => {
  const url = `/movies/${film.id}`;
  const before = (await inject(app, { method: 'GET', url, token: director })).headers.etag;
  const patched = await inject(app, { method: 'PATCH', url, token: director, payload: { title: 'Renamed' } });
  t.equal(patched.statusCode, 200);
  const after = (await inject(app, { method: 'GET', url, token: director })).headers.etag;
  t.not(after, before);
  t.equal(patched.headers.etag, after, 'the PATCH answer carries the new tag');
});

t.test('a message: a 304 counts the view, and the tag follows the content, not the view count', async (t) => {
  const url = `/api/messages/${message.id}`;
  const first = await inject(app, { method: 'GET', url });
  const tag = String(first.headers.etag);
  const views = await viewsOf(db, message.id);
  const revalidated = await inject(app, { method: 'GET', url, headers: { 'if-none-match': tag } });
  t.equal(revalidated.statusCode, 304);
  t.equal(await viewsOf(db, message.id), views + 1, 'the 304 counted a view');
  const read = await inject(app, { method: 'GET', url });
  t.equal(read.headers.etag, tag, 'more views, same tag');
  const edited = await inject(app, { method: 'PATCH', url, token: alice.token, payload: { content: 'changed' } });
  t.equal(edited.statusCode, 200);
  t.not(edited.headers.etag, tag, 'new content, new tag');
  t.equal((await inject(app, { method: 'GET', url })).headers.etag, edited.headers.etag);
});

t.test('If-Match: a stale tag is 412 precondition_failed and nothing changes; the current tag or * writes', async (t) => {
  const spare = await fixtures.actor();
  const spareFilm = await fixtures.movie([spare.id]);
  const spareMessage = await insertMessage(db, alice.id, 'spare');
  const spareCollection = await createCollection(app, alice.token, [movie('Comedy')]);
  const cases = [
    { name: 'PATCH actor', get: `/actors/${spare.id}`, method: 'PATCH', token: director, payload: { age: 41 } },
    { name: 'PATCH movie', get: `/movies/${spareFilm.id}`, method: 'PATCH', token: director, payload: { title: 'X' } },
    { name: 'PUT message', get: `/api/messages/${spareMessage.id}`, method: 'PUT', token: alice.token, payload: { content: 'p' } },
    { name: 'PATCH message', get: `/api/messages/${spareMessage.id}`, method: 'PATCH', token: alice.token, payload: { content: 'q' } },
    { name: 'PUT collection', get: `/collection/${spareCollection}/`, method: 'PUT', token: alice.token, payload: { title: 'T' } },
    { name: 'PATCH user', get: '/api/v1/user', url: `/api/v1/users/${alice.id}`, method: 'PATCH', token: admin.token, readAs: alice.token, payload: { role: 'casting_assistant' } },
    { name: 'DELETE message', get: `/api/messages/${spareMessage.id}`, method: 'DELETE', token: alice.token },
    { name: 'DELETE collection', get: `/collection/${spareCollection}/`, method: 'DELETE', token: alice.token },
    { name: 'DELETE movie', get: `/movies/${spareFilm.id}`, method: 'DELETE', token: director },
    { name: 'DELETE actor', get: `/actors/${spare.id}`, method: 'DELETE', token: director },
  ] as const;
  for (const c of cases) {
    const readAs = 'readAs' in c ? c.readAs : c.token;
    const url = 'url' in c ? c.url : c.get;
    const payload = 'payload' in c ? c.payload : undefined;
    const current = await inject(app, { method: 'GET', url: c.get, token: readAs });
    const tag = String(current.headers.etag);
    const casting = await castingSnapshot(db);
    const board = await snapshot(db);
    const collections = await tableCounts(db);
    const users = await db.selectFrom('users').selectAll().orderBy('id').execute();
    const refused = await inject(app, {
      method: c.method, url, token: c.token, payload, headers: { 'if-match': '"0000000000000000000000"' },
    });
    t.equal(refused.statusCode, 412, `${c.name}: 412`);
    t.equal(refused.json().code, 'precondition_failed', `${c.name}: its own code`);
    t.same(await castingSnapshot(db), casting, `${c.name}: casting unchanged`);
    t.same(await snapshot(db), board, `${c.name}: messages unchanged`);
    t.same(await tableCounts(db), collections, `${c.name}: collections unchanged`);
    t.same(await db.selectFrom('users').selectAll().orderBy('id').execute(), users, `${c.name}: users unchanged`);
    const after = await inject(app, { method: 'GET', url: c.get, token: readAs });
    t.equal(after.headers.etag, tag, `${c.name}: still the same tag`);
    const done = await inject(app, { method: c.method, url, token: c.token, payload, headers: { 'if-match': `"x", ${tag}` } });
    t.ok(done.statusCode === 200 || done.statusCode === 204, `${c.name}: the current tag in a list writes (${done.statusCode})`);
  }
  const star = await inject(app, {
    method: 'PATCH', url: `/actors/${actor.id}`, token: director, payload: { age: 50 }, headers: { 'if-match': '*' },
  });
  t.equal(star.statusCode, 200, 'If-Match: * writes while the resource exists');
  const gone = await inject(app, {
    method: 'PATCH', url: '/actors/999999', token: director, payload: { age: 50 }, headers: { 'if-match': '*' },
  });
  t.equal(gone.statusCode, 404, 'a missing resource is still a 404');
  const plain = await inject(app, { method: 'PATCH', url: `/actors/${actor.id}`, token: director, payload: { age: 51 } });
  t.equal(plain.statusCode, 200, 'without If-Match, as before');
});

t.test('If-Match on a message: a stranger is refused 403 before the tag is looked at', async (t) => {
  const mine = await insertMessage(db, alice.id, 'mine');
  const bob = await createUser(app, db);
  const res = await inject(app, {
    method: 'PATCH', url: `/api/messages/${mine.id}`, token: bob.token, payload: { content: 'theirs' },
    headers: { 'if-match': '"stale"' },
  });
  t.equal(res.statusCode, 403);
});

t.test('a browser on an allowed origin may read the ETag and Idempotent-Replayed headers', async (t) => {
  const cors = await buildTestApp(t, { CORS_ORIGINS: 'https://app.example' });
  const res = await inject(cors.app, {
    method: 'GET',
    url: `/api/messages/${(await insertMessage(cors.db, (await createUser(cors.app, cors.db)).id, 'cors')).id}`,
    headers: { origin: 'https://app.example' },
  });
  const exposed = String(res.headers['access-control-expose-headers']).toLowerCase().split(/,\s*/);
  t.ok(exposed.includes('etag'), 'ETag');
  t.ok(exposed.includes('idempotent-replayed'), 'Idempotent-Replayed');
});
