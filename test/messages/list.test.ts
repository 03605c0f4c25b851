import t from 'tap';
import { buildTestApp, inject } from '../helpers/app.ts';
import { createUser } from '../helpers/users.ts';
import { insertMessage, snapshot, viewsOf } from './fixtures.ts';

const { app, db } = await buildTestApp(t);
const alice = await createUser(app, db, { username: 'alice' });
const bob = await createUser(app, db, { username: 'bob' });

interface Listed {
  id: number;
  content: string;
  views: number;
  created_at: string;
  updated_at: string;
  author: { id: number; username: string };
}

async function list(query = '') {
  const res = await inject(app, { method: 'GET', url: `/api/messages${query}` });
  return { res, body: res.json<Listed[]>() };
}

/** RFC 8288 `Link` header as rel → target. */
function links(header: unknown): Record<string, string> {
  if (header === undefined) return {};
  return Object.fromEntries(
    String(header)
      .split(', ')
      .map((part) => {
        const match = /^<([^>]*)>; rel="(next|prev)"$/.exec(part);
        if (!match) throw new Error(`not a Link value: ${part}`);
        return [match[2], match[1]];
      }),
  );
}

t.beforeEach(async () => {
  await db.deleteFrom('messages').execute();
});

t.test('an empty board: [], X-Total-Count 0, no Link', async (t) => {
  const { res, body } = await list();
  t.equal(res.statusCode, 200);
  t.same(body, []);
  t.equal(res.headers['x-total-count'], '0');
  t.equal(res.headers.link, undefined);
});

t.test(
  'messages are listed newest first by created_at, ties broken by the higher id, for anyone',
  async (t) => {
    // Inserted out of time order, so that id order and time order disagree.
    const middle = await insertMessage(db, alice.id, 'middle', new Date('2026-05-01T10:00:00Z'));
    const oldest = await insertMessage(db, bob.id, 'oldest', new Date('2026-01-01T10:00:00Z'));
    const newest = await insertMessage(db, alice.id, 'newest', new Date('2026-09-01T10:00:00Z'));
    const twin = await insertMessage(db, bob.id, 'same instant as middle', new Date('2026-05-01T10:00:00Z'));
    const { res, body } = await list();
    t.equal(res.statusCode, 200);
    t.same(
      body.map((m) => m.id),
      [newest.id, twin.id, middle.id, oldest.id],
    );
    t.same(body[0], {
      id: newest.id,
      content: 'newest',
      views: 0,
      created_at: '2026-09-01T10:00:00.000Z',
      updated_at: '2026-09-01T10:00:00.000Z',
      author: { id: alice.id, username: 'alice' },
    });
    t.equal(body[3]?.author.username, 'bob');
    t.equal(res.headers['x-total-count'], '4');
    t.equal(res.headers.link, undefined, 'everything fits in one page');
  },
);

t.test('listing does not count views', async (t) => {
  const { id } = await insertMessage(db, alice.id, 'look but do not count');
  await inject(app, { method: 'GET', url: `/api/messages/${id}` });
  for (let i = 0; i < 3; i++) await list();
  const { body } = await list();
  t.equal(body[0]?.views, 1, 'the one read is shown');
  t.equal(await viewsOf(db, id), 1, 'and stored: four listings later still 1');
});

t.test('limit and offset page through the list, with X-Total-Count, Link next by cursor and prev by offset', async (t) => {
  const ids: number[] = [];
  for (let i = 0; i < 5; i++) {
    ids.unshift((await insertMessage(db, alice.id, `m${i}`, new Date(Date.UTC(2026, 0, 1 + i)))).id);
  }
  // ids is now newest first: the order of the list. `next` is a cursor URL, checked by the page it gives.
  const cases: [string, number[], { next?: number[]; prev?: string }][] = [
    ['?limit=2', ids.slice(0, 2), { next: ids.slice(2, 4) }],
    ['?limit=2&offset=2', ids.slice(2, 4), { next: ids.slice(4), prev: '/api/messages?limit=2&offset=0' }],
    ['?limit=2&offset=4', ids.slice(4), { prev: '/api/messages?limit=2&offset=2' }],
    ['?limit=2&offset=1', ids.slice(1, 3), { next: ids.slice(3, 5), prev: '/api/messages?limit=2&offset=0' }],
    ['?offset=3', ids.slice(3), { prev: '/api/messages?limit=100&offset=0' }],
    ['?limit=5', ids, {}],
    ['?limit=1000&offset=0', ids, {}],
    // Past the end: an empty page whose prev is the last page, not another empty one.
    ['?limit=2&offset=50', [], { prev: '/api/messages?limit=2&offset=3' }],
  ];
  for (const [query, expected, expectedLinks] of cases) {
    const { res, body } = await list(query);
    t.equal(res.statusCode, 200, query);
    t.same(
      body.map((m) => m.id),
      expected,
      `${query}: the right messages`,
    );
    t.equal(res.headers['x-total-count'], '5', `${query}: total`);
    const { next, prev } = links(res.headers.link);
    t.equal(prev, expectedLinks.prev, `${query}: prev ${res.headers.link}`);
    t.equal(next === undefined, expectedLinks.next === undefined, `${query}: next only when more follow`);
    if (next === undefined) continue;
    t.match(next, /^\/api\/messages\?limit=\d+&cursor=[\w-]+$/, `${query}: next is a cursor URL`);
    const following = await inject(app, { method: 'GET', url: next });
    t.same(
      following.json<Listed[]>().map((m) => m.id),
      expectedLinks.next,
      `${query}: next gives the rows after this page`,
    );
  }
});

t.test('following rel="next" from the first page visits every message once, in order', async (t) => {
  const ids: number[] = [];
  for (let i = 0; i < 7; i++)
    ids.unshift((await insertMessage(db, bob.id, `n${i}`, new Date(Date.UTC(2026, 1, 1 + i)))).id);
  const seen: number[] = [];
  let url: string | undefined = '/api/messages?limit=3';
  let pages = 0;
  while (url) {
    const res = await inject(app, { method: 'GET', url });
    seen.push(...res.json<Listed[]>().map((m) => m.id));
    // Relative targets resolve against the request's URL, as a client would resolve them.
    url = links(res.headers.link).next;
    if (url) t.equal(new URL(url, 'http://any.host/api/messages?limit=3').pathname, '/api/messages');
    pages += 1;
  }
  t.equal(pages, 3);
  t.same(seen, ids);
});

t.test('a bad limit or offset is a 400 naming the parameter', async (t) => {
  await insertMessage(db, alice.id, 'there is something to list');
  const before = await snapshot(db);
  for (const [query, field] of [
    ['?limit=0', 'limit'],
    ['?limit=1001', 'limit'],
    ['?limit=-5', 'limit'],
    ['?limit=ten', 'limit'],
    ['?limit=2.5', 'limit'],
    ['?offset=-1', 'offset'],
    ['?offset=first', 'offset'],
    ['?offset=2147483648', 'offset'],
    ['?offset=99999999999999999999', 'offset'],
  ] as const) {
    const { res, body } = await list(query);
    t.equal(res.statusCode, 400, query);
    t.match(body, { success: false, error: 400, details: [{ field }] }, query);
    t.equal(res.headers['x-total-count'], undefined, `${query}: no total on an error`);
  }
  t.same(await snapshot(db), before);
});
