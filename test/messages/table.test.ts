import { sql } from 'kysely';
import t from 'tap';
import { createTestDatabase } from '../helpers/database.ts';
import { storedMessage } from './fixtures.ts';

// The table's own guarantees, whatever code writes to it: these hold without the API in front.
const { db, engine } = await createTestDatabase(t);
const { id: authorId } = await db
  .insertInto('users')
  .values({ username: 'author', email: null, password_hash: 'placeholder:not-a-hash' })
  .returning('id')
  .executeTakeFirstOrThrow();

const PAST = new Date('2026-01-01T00:00:00Z');

async function insert(content: string) {
  return db
    .insertInto('messages')
    .values({ author_id: authorId, content, created_at: PAST, updated_at: PAST })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The SQLSTATE a statement fails with, or undefined when it succeeds. */
async function failure(statement: Promise<unknown>): Promise<string | undefined> {
  try {
    await statement;
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

t.test(`content is 1 to 160 code points and not only whitespace, checked by ${engine}`, async (t) => {
  for (const content of ['a', '😀'.repeat(160), 'e\u0301'.repeat(80), ' x ', '\u0301']) {
    t.equal(await failure(insert(content)), undefined, `accepts ${[...content].length} code points`);
  }
  const refused = [
    '',
    'x'.repeat(161),
    '😀'.repeat(161),
    `${'e\u0301'.repeat(80)}e`,
    ' ',
    '\t\n\r\v\f',
    // Whitespace outside ASCII, where PostgreSQL's own `\s` and JavaScript's disagree.
    '\u00a0',
    '\u1680\u2000\u2007\u200a\u2028\u2029\u202f\u205f\u3000\ufeff',
  ];
  for (const content of refused) {
    const codePoints = [...content].map((c) => `U+${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);
    t.equal(await failure(insert(content)), '23514', `refuses ${codePoints.slice(0, 10).join(' ')}`);
  }
  // A zero-width space is not whitespace to JavaScript's `\s` either.
  t.equal(await failure(insert('\u200b')), undefined, 'U+200B is content, as it is to the API');
});

t.test('views never go below 0', async (t) => {
  const { id } = await insert('counted');
  t.equal(
    await failure(db.updateTable('messages').set({ views: -1 }).where('id', '=', id).execute()),
    '23514',
  );
  t.equal(
    await failure(
      db
        .updateTable('messages')
        .set((eb) => ({ views: eb('views', '-', 1) }))
        .where('id', '=', id)
        .execute(),
    ),
    '23514',
    'not even by decrementing',
  );
});

t.test('a message needs an existing author, and goes with them', async (t) => {
  t.equal(
    await failure(db.insertInto('messages').values({ author_id: 2_000_000, content: 'orphan' }).execute()),
    '23503',
  );
  const { id: doomed } = await db
    .insertInto('users')
    .values({ username: 'doomed', email: null, password_hash: 'placeholder:not-a-hash' })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db.insertInto('messages').values({ author_id: doomed, content: 'last words' }).execute();
  await db.deleteFrom('users').where('id', '=', doomed).execute();
  t.same(await db.selectFrom('messages').select('id').where('author_id', '=', doomed).execute(), []);
});

t.test('the database sets updated_at when the content is written, not when a view is counted', async (t) => {
  const stored = await insert('first draft');
  await db
    .updateTable('messages')
    .set((eb) => ({ views: eb('views', '+', 1) }))
    .where('id', '=', stored.id)
    .execute();
  const viewed = await storedMessage(db, stored.id);
  t.same([viewed.views, viewed.updated_at], [1, PAST], 'a view leaves updated_at alone');

  const { rows } = await sql<{ now: Date }>`select now() as now`.execute(db);
  const before = rows[0]!.now;
  await db
    .updateTable('messages')
    .set({ content: 'second draft', views: 0 })
    .where('id', '=', stored.id)
    .execute();
  const edited = await storedMessage(db, stored.id);
  t.ok(edited.updated_at >= before, `an edit sets updated_at to now (${edited.updated_at.toISOString()})`);
  t.same(edited.created_at, PAST, 'created_at never moves');

  // Writing the same content again is an edit too: the trigger fires on `update of content`, not on a change.
  await sql`update messages set updated_at = ${PAST} where id = ${stored.id}`.execute(db);
  await db.updateTable('messages').set({ content: 'second draft' }).where('id', '=', stored.id).execute();
  const again = await storedMessage(db, stored.id);
  t.ok(again.updated_at >= before, 'rewriting the same content sets updated_at');
});

t.test('the list order is served by an index', async (t) => {
  const { rows } = await sql<{ indexdef: string }>`
    select indexdef from pg_indexes where tablename = 'messages' and indexname = 'messages_newest_first_idx'`.execute(
    db,
  );
  t.match(rows[0]?.indexdef, /\(created_at DESC, id DESC\)/);
});
