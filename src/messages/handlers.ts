import type { components } from '../../generated/api.d.ts';
import type { AppDeps } from '../deps.ts';
import { badRequest, forbidden, notFound, unauthorized } from '../errors/index.ts';
import type { HandlerGroup } from '../spec/handlers.ts';
import {
  countMessages,
  deleteMessage,
  type Editor,
  findMessageAuthorId,
  insertMessage,
  listMessages,
  type MessageRow,
  setMessageContent,
  viewMessage,
} from './queries.ts';

type Message = components['schemas']['Message'];

/** The list's own path: links never echo the request's host or path, so a forged Host header cannot leak into them. */
const LIST_PATH = '/api/messages';

function toMessage(row: MessageRow): Message {
  return {
    id: row.id,
    content: row.content,
    views: row.views,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    author: { id: row.author_id, username: row.author_username },
  };
}

/** RFC 8288 `Link` for a page, or undefined when there is neither a next nor a previous page. */
function pageLinks(page: { limit: number; offset: number }, total: number): string | undefined {
  const { limit, offset } = page;
  const link = (at: number, rel: string) => `<${LIST_PATH}?limit=${limit}&offset=${at}>; rel="${rel}"`;
  const links: string[] = [];
  if (offset + limit < total) links.push(link(offset + limit, 'next'));
  // Past the end, "prev" is the last page rather than another empty one.
  if (offset > 0) links.push(link(Math.max(0, Math.min(offset - limit, total - limit)), 'prev'));
  return links.length > 0 ? links.join(', ') : undefined;
}

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

type MessageOperation =
  | 'listMessages'
  | 'createMessage'
  | 'getMessage'
  | 'replaceMessage'
  | 'updateMessage'
  | 'deleteMessage';

export function createMessageHandlers({ db }: AppDeps): HandlerGroup<MessageOperation> {
  /** Why a conditional write touched no row: the message is gone (404) or belongs to someone else (403). */
  async function refusal(id: number, action: string): Promise<never> {
    if ((await findMessageAuthorId(db, id)) === undefined) throw notFound(`message ${id} not found`);
    throw forbidden(`only the author of message ${id} or an admin may ${action} it`);
  }

  async function setContent(id: number, content: string, user: { id: number; role: string }) {
    checkContent(content);
    const row = await setMessageContent(db, id, content, editorOf(user));
    return row ? toMessage(row) : refusal(id, 'change');
  }

  return {
    async listMessages(request, reply) {
      // Ajv fills in the spec's defaults (limit 100, offset 0) before the handler runs.
      const page = { limit: request.query.limit!, offset: request.query.offset! };
      // One snapshot for both queries, so the total and the links agree with the page.
      const { total, rows } = await db
        .transaction()
        .setIsolationLevel('repeatable read')
        .execute(async (trx) => ({ total: await countMessages(trx), rows: await listMessages(trx, page) }));
      reply.header('x-total-count', String(total));
      const links = pageLinks(page, total);
      if (links) reply.header('link', links);
      return rows.map(toMessage);
    },

    async createMessage(request, reply) {
      const { content } = request.body;
      checkContent(content);
      const row = await insertMessage(db, request.user.id, content);
      if (!row) throw unauthorized('the user of this token no longer exists');
      reply.code(201);
      return toMessage(row);
    },

    async getMessage(request, reply) {
      const { id } = request.params;
      const row = await viewMessage(db, id);
      if (!row) throw notFound(`message ${id} not found`);
      // A read answered from a cache would not be counted.
      reply.header('cache-control', 'no-store');
      return toMessage(row);
    },

    async replaceMessage(request) {
      return setContent(request.params.id, request.body.content, request.user);
    },

    async updateMessage(request) {
      return setContent(request.params.id, request.body.content, request.user);
    },

    async deleteMessage(request, reply) {
      const { id } = request.params;
      if (!(await deleteMessage(db, id, editorOf(request.user)))) await refusal(id, 'delete');
      return reply.code(204).send();
    },
  };
}
