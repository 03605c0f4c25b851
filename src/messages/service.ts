import { checkPrecondition, type Precondition } from '../conditional/tags.ts';
import type { Database } from '../db/index.ts';
import { badRequest, forbidden, notFound, unauthorized } from '../errors/index.ts';
import {
  countMessages,
  deleteMessage as deleteMessageRow,
  type Editor,
  findMessageAuthorId,
  insertMessage,
  listMessages as listMessageRows,
  lockMessage,
  type MessageKey,
  type MessageRow,
  setMessageContent,
  viewMessage,
} from './queries.ts';

// Anyone reads; the author and admins change or delete. Writes are conditional on that rule in SQL, so a
// check and its write can never be split by a concurrent change of author or role.

/**
 * What the spec's length and pattern cannot say: PostgreSQL text cannot hold NUL, and a lone surrogate would be
 * stored as U+FFFD, so either would be a 500 or a silently different message.
 */
function checkContent(content: string): void {
  const problem = !content.isWellFormed()
    ? 'must be well-formed Unicode (no lone surrogates)'
    : content.includes('\u0000')
      ? 'must not contain NUL characters'
      : undefined;
  if (problem) throw badRequest('invalid body', [{ field: 'content', message: problem }]);
}

function editorOf(user: { id: number; role: string }): Editor {
  return { id: user.id, isAdmin: user.role === 'admin' };
}

/** Why a conditional write touched no row: the message is gone, or belongs to someone else. */
async function refusal(db: Database, id: number, action: string): Promise<never> {
  if ((await findMessageAuthorId(db, id)) === undefined) throw notFound(`message ${id} not found`);
  throw forbidden(`only the author of message ${id} or an admin may ${action} it`);
}

/**
 * A page and the total, from one snapshot, so the total and the links agree with the page. `rows` holds one
 * row more than the page when another page follows.
 */
export async function listMessages(db: Database, page: { limit: number; offset: number; after: MessageKey | undefined }) {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => ({ total: await countMessages(trx), rows: await listMessageRows(trx, { ...page, limit: page.limit + 1 }) }));
}

export async function createMessage(db: Database, authorId: number, content: string): Promise<MessageRow> {
  checkContent(content);
  const row = await insertMessage(db, authorId, content);
  if (!row) throw unauthorized('the user of this token no longer exists');
  return row;
}

/** Counts the view as it reads. */
export async function readMessage(db: Database, id: number): Promise<MessageRow> {
  const row = await viewMessage(db, id);
  if (!row) throw notFound(`message ${id} not found`);
  return row;
}

/** What a message's ETag follows: everything a reader sees but the view count, which every read changes. */
export function versionOf(row: MessageRow) {
  return {
    id: row.id,
    content: row.content,
    updated_at: row.updated_at.toISOString(),
    author: { id: row.author_id, username: row.author_username },
  };
}

/**
 * Runs `write` as it is, or, with an If-Match, in a transaction that first locks the message and checks,
 * in this order, that it exists, that `user` may write it, and its tag.
 */
async function writeChecked<T>(
  db: Database,
  id: number,
  user: { id: number; role: string },
  action: string,
  precondition: Precondition | undefined,
  write: (db: Database) => Promise<T>,
): Promise<T> {
  if (precondition === undefined) return write(db);
  return db.transaction().execute(async (trx) => {
    const current = await lockMessage(trx, id);
    if (!current) throw notFound(`message ${id} not found`);
    const editor = editorOf(user);
    if (!editor.isAdmin && current.author_id !== editor.id) {
      throw forbidden(`only the author of message ${id} or an admin may ${action} it`);
    }
    checkPrecondition(precondition, versionOf(current));
    return write(trx);
  });
}

export async function setContent(
  db: Database,
  id: number,
  content: string,
  user: { id: number; role: string },
  precondition?: Precondition,
): Promise<MessageRow> {
  checkContent(content);
  return writeChecked(db, id, user, 'change', precondition, async (db) => {
    return (await setMessageContent(db, id, content, editorOf(user))) ?? refusal(db, id, 'change');
  });
}

export async function deleteMessage(
  db: Database,
  id: number,
  user: { id: number; role: string },
  precondition?: Precondition,
): Promise<void> {
  await writeChecked(db, id, user, 'delete', precondition, async (db) => {
    if (!(await deleteMessageRow(db, id, editorOf(user)))) await refusal(db, id, 'delete');
  });
}
