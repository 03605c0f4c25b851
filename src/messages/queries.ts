import { type ExpressionBuilder, type QueryCreator, type Selectable, sql, type UpdateObject } from 'kysely';
import type { Database } from '../db/index.ts';
import { exactCount } from '../db/row-counts.ts';
import type { DB } from '../db/types.ts';
import type { MessagesTable } from './tables.ts';

export interface MessageRow {
  id: number;
  content: string;
  views: number;
  created_at: Date;
  updated_at: Date;
  author_id: number;
  author_username: string;
}

/** Who asks to change a message: the author may, and so may an admin. */
export interface Editor {
  id: number;
  isAdmin: boolean;
}

// Every query below names its message relation `m` (the table, or the rows a statement just wrote).
const COLUMNS = [
  'm.id',
  'm.content',
  'm.views',
  'm.created_at',
  'm.updated_at',
  'm.author_id',
  'u.username as author_username',
] as const;

/** The message a statement just wrote, as `m`, with its author's name. */
function readBack(qc: QueryCreator<DB & { m: Selectable<MessagesTable> }>): Promise<MessageRow | undefined> {
  return qc.selectFrom('m').innerJoin('users as u', 'u.id', 'm.author_id').select(COLUMNS).executeTakeFirst();
}

export function countMessages(db: Database): Promise<number> {
  return exactCount(db, 'messages');
}

/** A message's place in the newest-first order: `created_at` to the microsecond (a Date keeps milliseconds), `id`. */
export type MessageKey = readonly [string, number];

/** A listed message with its key, for the next page's cursor. */
export type ListedMessage = MessageRow & { created_key: string };

/**
 * Newest first; `id` breaks ties between messages created in the same transaction instant. After a key, the
 * row comparison walks messages_newest_first_idx from that point, so a deep page costs what the first does.
 */
export async function listMessages(
  db: Database,
  page: { limit: number; offset: number; after?: MessageKey | undefined },
): Promise<ListedMessage[]> {
  const { after } = page;
  return db
    .selectFrom('messages as m')
    .innerJoin('users as u', 'u.id', 'm.author_id')
    .select(COLUMNS)
    .select(sql<string>`to_char(m.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('created_key'))
    .$if(after !== undefined, (qb) =>
      qb.where(sql<boolean>`(m.created_at, m.id) < (${after?.[0]}::timestamptz, ${after?.[1]}::int)`),
    )
    .orderBy('m.created_at', 'desc')
    .orderBy('m.id', 'desc')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
}

/** Inserts only while the author exists, so a token that outlived its user writes nothing. */
export async function insertMessage(
  db: Database,
  authorId: number,
  content: string,
): Promise<MessageRow | undefined> {
  return readBack(
    db.with('m', (qb) =>
      qb
        .insertInto('messages')
        .columns(['author_id', 'content'])
        .expression((eb) =>
          eb
            .selectFrom('users')
            .select((eb) => ['id', eb.val(content).as('content')])
            .where('id', '=', authorId),
        )
        .returningAll(),
    ),
  );
}

/**
 * Updates one message, only if `onlyAuthor` wrote it when given, and returns the row as the update left it, in one
 * statement: no read-modify-write.
 */
function updateMessage(
  db: Database,
  id: number,
  changes: (eb: ExpressionBuilder<DB, 'messages'>) => UpdateObject<DB, 'messages'>,
  onlyAuthor?: number,
): Promise<MessageRow | undefined> {
  return readBack(
    db.with('m', (qb) => {
      const update = qb.updateTable('messages').set(changes).where('id', '=', id);
      return (onlyAuthor === undefined ? update : update.where('author_id', '=', onlyAuthor)).returningAll();
    }),
  );
}

/** Counts one view and returns the row as that view left it. */
export function viewMessage(db: Database, id: number): Promise<MessageRow | undefined> {
  return updateMessage(db, id, (eb) => ({ views: eb('views', '+', 1) }));
}

/** Sets the content and restarts the view count, if `editor` may; undefined when nothing was changed. */
export function setMessageContent(
  db: Database,
  id: number,
  content: string,
  editor: Editor,
): Promise<MessageRow | undefined> {
  return updateMessage(db, id, () => ({ content, views: 0 }), editor.isAdmin ? undefined : editor.id);
}

/** Deletes the message if `editor` may; false when nothing was deleted. */
export async function deleteMessage(db: Database, id: number, editor: Editor): Promise<boolean> {
  const deleted = await db
    .deleteFrom('messages')
    .where('id', '=', id)
    .$if(!editor.isAdmin, (qb) => qb.where('author_id', '=', editor.id))
    .returning('id')
    .executeTakeFirst();
  return deleted !== undefined;
}

/** The message, locked against any change until commit. */
export function lockMessage(db: Database, id: number): Promise<MessageRow | undefined> {
  return db
    .selectFrom('messages as m')
    .innerJoin('users as u', 'u.id', 'm.author_id')
    .select(COLUMNS)
    .where('m.id', '=', id)
    .forUpdate(['m'])
    .executeTakeFirst();
}

export async function findMessageAuthorId(db: Database, id: number): Promise<number | undefined> {
  const row = await db.selectFrom('messages').select('author_id').where('id', '=', id).executeTakeFirst();
  return row?.author_id;
}
