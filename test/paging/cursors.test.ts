import t from 'tap';
import { buildTestApp, inject, tokenFor } from '../helpers/app.ts';
import { createUser } from '../helpers/users.ts';
import { castingFixtures } from '../casting/fixtures.ts';
import { insertMessage } from '../messages/fixtures.ts';

const { app, db } = await buildTestApp(t);
const producer = await tokenFor(app, 'executive_producer');
const admin = await createUser(app, db, { role: 'admin' });
const author = await createUser(app, db);
const fixtures = await castingFixtures(app);
const lead = await fixtures.actor({ name: 'Lead' });

/** The `rel="next"` target of a Link header, or undefined. */
function nextOf(header: unknown): string | undefined {
  return /<([^>]*)>; rel="next"/.exec(String(header ?? ''))?.[1];
}

interface List {
  name: string;
  first: string;
  token: string | undefined;
  ids: (body: unknown) => number[];
  /** Creates a row another client adds during the walk; `around` lets a message land between pages. */
  create: (n: number) => Promise<number>;
  remove: (id: number) => Promise<void>;
  /** Whether `a` comes before `b` in the list's order. */
  ordered: (a: number, b: number) => boolean;
}

const messageTimes = new Map<number, number>();
let clock = Date.UTC(2026, 0, 1);
async function message(at: number): Promise<number> {
  const row = await insertMessage(db, author.id, `at ${at}`, new Date(at));
  messageTimes.set(row.id, at);
  return row.id;
}

const lists: List[] = [
  {
    name: 'messages',
    first: '/api/messages?limit=4',
    token: undefined,
    ids: (body) => (body as { id: number }[]).map((m) => m.id),
    // Every other new message lands in the middle of the time range, among rows the walk has not reached yet.
    create: (n) => message(n % 2 === 0 ? Date.UTC(2026, 0, 1) + n * 1000 + 500 : (clock += 60_000)),
    remove: async (id) => {
      await db.deleteFrom('messages').where('id', '=', id).execute();
    },
    ordered: (a, b) => {
      const [ta, tb] = [messageTimes.get(a) ?? 0, messageTimes.get(b) ?? 0];
      return ta > tb || (ta === tb && a > b);
    },
  },
  {
    name: 'actors',
    first: '/actors?limit=4',
    token: producer,
    ids: (body) => (body as { actors: { id: number }[] }).actors.map((a) => a.id),
    create: async () => (await fixtures.actor()).id,
    remove: async (id) => {
      const res = await inject(app, { method: 'DELETE', url: `/actors/${id}`, token: producer });
      if (res.statusCode !== 200) throw new Error(`deleting actor ${id} answered ${res.statusCode}`);
    },
    ordered: (a, b) => a < b,
  },
  {
    name: 'movies',
    first: '/movies?limit=4',
    token: producer,
    ids: (body) => (body as { movies: { id: number }[] }).movies.map((m) => m.id),
    create: async () => (await fixtures.movie([lead.id])).id,
    remove: async (id) => {
      const res = await inject(app, { method: 'DELETE', url: `/movies/${id}`, token: producer });
      if (res.statusCode !== 200) throw new Error(`deleting movie ${id} answered ${res.statusCode}`);
    },
    ordered: (a, b) => a < b,
  },
  {
    name: 'users',
    first: '/api/v1/users?limit=4',
    token: admin.token,
    ids: (body) => (body as { users: { id: number }[] }).users.map((u) => u.id),
    create: async () => (await createUser(app, db)).id,
    remove: async (id) => {
      await db.deleteFrom('users').where('id', '=', id).execute();
    },
    ordered: (a, b) => a < b,
  },
];

t.test('a walk by rel="next" returns every row that existed throughout exactly once, in order, while another client inserts and deletes', async (t) => {
  for (const list of lists) {
    const original: number[] = [];
    for (let i = 0; i < 14; i++) original.push(await list.create(i * 2));
    const removed = new Set<number>();
    const added: number[] = [];
    const seen: number[] = [];
    let url: string | undefined = list.first;
    let pages = 0;
    // Bounded: 14 rows and a few more added, 4 a page.
    while (url !== undefined && pages < 20) {
      const res = await inject(app, { method: 'GET', url, token: list.token });
      t.equal(res.statusCode, 200, `${list.name}: ${url}`);
      seen.push(...list.ids(res.json()));
      url = nextOf(res.headers.link);
      if (url) t.match(url, /[?&]cursor=[\w-]+/, `${list.name}: next is a cursor URL`);
      pages += 1;
      if (url === undefined) break;
      // The other client, between this page and the next: two rows added, one new and one original removed.
      const [a, b] = [await list.create(pages * 2 + 1), await list.create(pages * 2 + 100)];
      added.push(a, b);
      await list.remove(a);
      removed.add(a);
      // Alternately a row already seen (an offset walk would then skip one) and the last one not reached yet.
      const candidates = pages % 2 === 1 ? original : [...original].reverse();
      const victim = candidates.find((id) => !removed.has(id) && seen.includes(id) === (pages % 2 === 1));
      if (victim !== undefined) {
        await list.remove(victim);
        removed.add(victim);
      }
    }
    t.ok(pages > 2 && pages < 20, `${list.name}: walked ${pages} pages`);
    t.equal(new Set(seen).size, seen.length, `${list.name}: no row twice`);
    const throughout = original.filter((id) => !removed.has(id));
    const universe = new Set([...original, ...added]);
    const seenOwn = seen.filter((id) => universe.has(id));
    for (const id of throughout) t.ok(seen.includes(id), `${list.name}: row ${id}, there throughout, was seen`);
    t.ok(
      seenOwn.every((id, i) => i === 0 || list.ordered(seenOwn[i - 1] ?? 0, id)),
      `${list.name}: in the list's order`,
    );
  }
});

t.test('a page by offset continues by cursor: its next link gives the rows after it', async (t) => {
  const byOffset = await inject(app, { method: 'GET', url: '/actors?page=2&limit=3', token: producer });
  const next = nextOf(byOffset.headers.link);
  t.ok(next, 'an offset page has a cursor next link');
  const following = await inject(app, { method: 'GET', url: String(next), token: producer });
  const page3 = await inject(app, { method: 'GET', url: '/actors?page=3&limit=3', token: producer });
  t.same(following.json().actors, page3.json().actors, 'the same rows as page 3');
  t.equal(following.json().total_actors, page3.json().total_actors, 'the same total');
  const last = await inject(app, { method: 'GET', url: `/actors?page=1&limit=100`, token: producer });
  t.equal(last.headers.link, undefined, 'no next link when every row fits');
});

t.test('a malformed, altered or foreign cursor is 400 in the error shape', async (t) => {
  const actorsPage = await inject(app, { method: 'GET', url: '/actors?limit=1', token: producer });
  const actorCursor = /cursor=([\w-]+)/.exec(String(actorsPage.headers.link))?.[1] ?? '';
  t.ok(actorCursor);
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const bad: [string, string, string][] = [
    ['/movies', actorCursor, 'another list'],
    ['/actors', `${actorCursor}A`, 'altered'],
    ['/actors', 'not-a-cursor', 'garbage'],
    ['/actors', encode(['actors', 0]), 'id 0'],
    ['/actors', encode(['actors', 2147483648]), 'id too large'],
    ['/actors', encode(['actors', 1.5]), 'not an integer'],
    ['/actors', encode(['actors', '1']), 'a string id'],
    ['/actors', encode(['actors', 1, 2]), 'extra values'],
    ['/actors', encode({ actors: 1 }), 'not an array'],
    ['/api/messages', encode(['messages', '2026-01-01', 1]), 'a date without time'],
    ['/api/messages', encode(['messages', '2026-02-30T00:00:00.000000Z', 1]), 'no such day'],
    ['/api/messages', encode(['messages', '2026-01-01T24:00:00.000000Z', 1]), 'no such hour'],
    ['/api/messages', encode(['messages', '0000-01-01T00:00:00.000000Z', 1]), 'year 0'],
    ['/api/v1/users', encode(['users']), 'no key'],
  ];
  for (const [path, cursor, why] of bad) {
    const res = await inject(app, { method: 'GET', url: `${path}?cursor=${cursor}`, token: path === '/api/v1/users' ? admin.token : producer });
    t.equal(res.statusCode, 400, why);
    t.equal(res.json().code, 'invalid_cursor', `${why}: its own code`);
  }
  for (const cursor of ['has%20space', 'x'.repeat(201), '']) {
    const res = await inject(app, { method: 'GET', url: `/actors?cursor=${cursor}`, token: producer });
    t.equal(res.statusCode, 400, `cursor=${cursor.slice(0, 12)}: refused by the schema`);
    t.equal(res.json().code, 'validation_failed');
  }
});
