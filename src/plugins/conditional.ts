import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { entityTag, noneMatchHits, type Precondition, parseIfMatch } from '../conditional/tags.ts';

/** Sets the `ETag` of the representation a single-resource answer carries, and returns it unchanged. */
export function tagged<T>(reply: FastifyReply, representation: T, taggedPart: unknown = representation): T {
  reply.header('etag', entityTag(taggedPart));
  return representation;
}

/** The request's `If-Match`, for a service to check with the row locked. */
export function preconditionOf(request: FastifyRequest): Precondition | undefined {
  const header = request.headers['if-match'];
  return parseIfMatch(Array.isArray(header) ? header.join(',') : header);
}

/**
 * `If-None-Match` on any GET or HEAD whose handler set an `ETag`: a current tag turns the 200 into a 304
 * with no body. The handler has run, so whatever it counts (a message's view) is counted either way.
 */
async function conditional(app: FastifyInstance) {
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return payload;
    const header = request.headers['if-none-match'];
    const tag = reply.getHeader('etag');
    if (reply.statusCode !== 200 || typeof header !== 'string' || typeof tag !== 'string') return payload;
    if (!noneMatchHits(header, tag)) return payload;
    reply.code(304);
    reply.removeHeader('content-type');
    reply.removeHeader('content-length');
    return null;
  });
}

export default fp(conditional, { name: 'marquee-conditional', fastify: '5.x' });
