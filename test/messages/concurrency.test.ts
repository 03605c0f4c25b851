import { setImmediate as nextTurn } from 'node:timers/promises';
import t from 'tap';
import { buildTestApp, inject } from '../helpers/app.ts';
import { createUser } from '../helpers/users.ts';
import { insertMessage, viewsOf } from './fixtures.ts';

// On PostgreSQL the requests below really overlap (a pool of 20 connections); on PGlite they are serialised by
// its single connection, and the counts must come out just as exact.
const { app, db, database } = await buildTestApp(t);
const author = await createUser(app, db, { username: 'author' });

const ascending = (values: number[]) => [...values].sort((a, b) => a - b);
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

async function read(id: number) {
  const res = await inject(app, { method: 'GET', url: `/api/messages/${id}` });
  if (res.statusCode !== 200) throw new Error(`GET answered ${res.statusCode}: ${res.body}`);
  return res.json<{ content: string; views: number }>();
}

t.test(`1 000 concurrent GETs of one message add exactly 1 000 views on ${database.engine}`, async (t) => {
  const { id } = await insertMessage(db, author.id, 'popular');
  for (let i = 0; i < 7; i++) await read(id);
  const before = await viewsOf(db, id);
  t.equal(before, 7);

  const results = await Promise.all(range(0, 1000).map(() => read(id)));

  t.equal(await viewsOf(db, id), before + 1000, 'stored count is exactly 1 000 higher');
  // Each reader got the count its own increment produced: no two saw the same value, none was skipped.
  t.same(
    ascending(results.map((r) => r.views)),
    range(before + 1, 1000),
    'the returned counts are 8 … 1 007, each exactly once',
  );
});

t.test(
  `a PATCH racing with reads neither loses a view nor goes negative on ${database.engine}`,
  async (t) => {
    // Asserted, per round: the PATCH happens at one point in the serial order of writes to the row. Every read
    // before it returns the old content and one of before+1 … before+k (each once); every read after it returns
    // the new content and one of 1 … n-k (each once); the stored count ends at exactly n-k, the number of reads
    // after the reset. A lost increment leaves a gap or a repeat; a read-modify-write across the reset would
    // carry old views into the new count, or a stale write would bring the old count back.
    const workers = 20;
    for (let round = 1; round <= 3; round++) {
      const { id } = await insertMessage(db, author.id, `round ${round}`);
      for (let i = 0; i < 5; i++) await read(id);
      const before = await viewsOf(db, id);
      const edited = `round ${round}, edited`;

      // 20 readers keep reads in flight the whole time; the PATCH starts once 100 reads have finished, and every
      // reader goes on until it has answered, then reads once more.
      const results: { content: string; views: number }[] = [];
      let patch: ReturnType<typeof inject> | undefined;
      let patched = false;
      const reader = async () => {
        while (results.length < 400 || !patched) {
          // PGlite can answer from microtasks alone; yielding a turn lets the PATCH's body parsing run meanwhile.
          await nextTurn();
          results.push(await read(id));
          if (!patch && results.length >= 100) {
            patch = inject(app, {
              method: 'PATCH',
              url: `/api/messages/${id}`,
              token: author.token,
              payload: { content: edited },
            });
            void patch.then(() => {
              patched = true;
            });
          }
        }
        // Started after the PATCH answered, so after its commit: the reset's far side is never empty.
        results.push(await read(id));
      };
      await Promise.all(range(0, workers).map(reader));
      const response = await patch!;

      t.equal(response.statusCode, 200, `round ${round}: PATCH succeeded`);
      t.equal(response.json().views, 0, 'the PATCH answer shows the reset');
      const beforeReset = results.filter((r) => r.content !== edited).map((r) => r.views);
      const afterReset = results.filter((r) => r.content === edited).map((r) => r.views);
      t.comment(`round ${round}: ${beforeReset.length} reads before the reset, ${afterReset.length} after`);
      t.ok(beforeReset.length >= 100 && afterReset.length >= workers, 'reads on both sides of the reset');
      t.ok(
        results.every((r) => r.views >= 1),
        'every read saw at least its own view',
      );
      t.same(
        ascending(beforeReset),
        range(before + 1, beforeReset.length),
        'reads before the reset: no gap, no repeat',
      );
      t.same(
        ascending(afterReset),
        range(1, afterReset.length),
        'reads after the reset: counted again from 1',
      );
      const row = await db
        .selectFrom('messages')
        .select(['views', 'content'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      t.same(row, { views: afterReset.length, content: edited }, 'stored count = reads after the reset');
    }
  },
);
