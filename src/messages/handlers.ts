import type { FastifyReply } from 'fastify';
import type { components } from '../../generated/api.d.ts';
import type { AppDeps } from '../deps.ts';
import { nextLink, type PageRequest, pageRequest } from '../paging/cursor.ts';
import { preconditionOf, tagged } from '../plugins/conditional.ts';
import type { HandlerGroup, OperationRequest } from '../spec/handlers.ts';
import { queryWithDefaults } from '../spec/index.ts';
import type { ListedMessage, MessageKey, MessageRow } from './queries.ts';
import * as messages from './service.ts';

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

/**
 * RFC 8288 `Link` for a page, or undefined when there is neither a next nor a previous page: `next` by cursor
 * always, `prev` by offset for an offset page.
 */
function pageLinks(page: PageRequest, total: number, rows: readonly ListedMessage[]): string | undefined {
  const { limit, offset } = page;
  const links: string[] = [];
  const next = nextLink(LIST_PATH, 'messages', page, rows, (row) => [row.created_key, row.id]);
  if (next) links.push(next);
  // Past the end, "prev" is the last page rather than another empty one.
  if (page.after === undefined && offset > 0) {
    const at = Math.max(0, Math.min(offset - limit, total - limit));
    links.push(`<${LIST_PATH}?limit=${limit}&offset=${at}>; rel="prev"`);
  }
  return links.length > 0 ? links.join(', ') : undefined;
}

type MessageOperation =
  | 'listMessages'
  | 'createMessage'
  | 'getMessage'
  | 'replaceMessage'
  | 'updateMessage'
  | 'deleteMessage';

export function createMessageHandlers({ db, spec }: AppDeps): HandlerGroup<MessageOperation> {
  const pageQuery = queryWithDefaults(spec.document, 'listMessages');
  const setContent = async (request: OperationRequest<'replaceMessage' | 'updateMessage'>, reply: FastifyReply) => {
    const { params, body, user } = request;
    const row = await messages.setContent(db, params.id, body.content, user, preconditionOf(request));
    return tagged(reply, toMessage(row), messages.versionOf(row));
  };
  return {
    async listMessages(request, reply) {
      const page = pageRequest('messages', pageQuery(request.query));
      // decodeCursor checked the key's shape: a timestamp, then an id.
      const after = page.after as MessageKey | undefined;
      const { total, rows } = await messages.listMessages(db, { limit: page.limit, offset: page.offset, after });
      reply.header('x-total-count', String(total));
      const links = pageLinks(page, total, rows);
      if (links) reply.header('link', links);
      return rows.slice(0, page.limit).map(toMessage);
    },

    async createMessage(request, reply) {
      const row = await messages.createMessage(db, request.user.id, request.body.content);
      reply.code(201).header('location', `/api/messages/${row.id}`);
      return tagged(reply, toMessage(row), messages.versionOf(row));
    },

    async getMessage(request, reply) {
      const row = await messages.readMessage(db, request.params.id);
      // A read answered from a cache would not be counted; a revalidation (304) is counted like any read.
      reply.header('cache-control', 'no-cache');
      return tagged(reply, toMessage(row), messages.versionOf(row));
    },

    replaceMessage: (request, reply) => setContent(request, reply),
    updateMessage: (request, reply) => setContent(request, reply),

    async deleteMessage(request, reply) {
      await messages.deleteMessage(db, request.params.id, request.user, preconditionOf(request));
      return reply.code(204).send();
    },
  };
}
