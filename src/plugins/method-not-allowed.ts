import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { sendError, statusMessage } from '../errors/index.ts';
import { createMethodLookup, type LoadedSpec } from '../spec/index.ts';

/**
 * What no route answers: on a path the spec knows, OPTIONS is 204 and any other method 405, both with `Allow`
 * (a CORS preflight from an allowed origin never gets here: @fastify/cors answers it); elsewhere 404.
 */
async function methodNotAllowed(app: FastifyInstance, { spec }: { spec: LoadedSpec }) {
  const allowedMethods = createMethodLookup(spec.document);
  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?', 1)[0] ?? '/';
    const allowed = allowedMethods(path);
    if (allowed.length === 0 || allowed.includes(request.method)) {
      return sendError(reply, 404, statusMessage(404));
    }
    reply.header('allow', [...allowed, 'OPTIONS'].join(', '));
    if (request.method === 'OPTIONS') return reply.code(204).send();
    return sendError(reply, 405, `method ${request.method} not allowed on ${path}`);
  });
}

export default fp(methodNotAllowed, { name: 'marquee-method-not-allowed', fastify: '5.x' });
