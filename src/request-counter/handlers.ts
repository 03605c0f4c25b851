import type { AppDeps } from '../deps.ts';
import { AppError, notFound, retryAfter } from '../errors/index.ts';
import type { HandlerGroup } from '../spec/handlers.ts';

const DISABLED = 'the request counter is turned off on this server (REQUEST_COUNTER=false)';

export function createMetricsHandlers(_deps: AppDeps) {
  const handlers: HandlerGroup<'getRequestCount' | 'resetRequestCount'> = {
    async getRequestCount(request, reply) {
      const counter = request.server.requestCounter;
      if (!counter || request.requestCount === undefined) throw notFound(DISABLED);
      const { requests, partial } = await counter.read(request.requestCount);
      if (partial) reply.header('x-request-count-partial', 'true');
      return { requests };
    },

    async resetRequestCount(request) {
      const counter = request.server.requestCounter;
      if (!counter) throw notFound(DISABLED);
      try {
        await counter.reset();
      } catch (error) {
        request.log.warn({ err: error }, 'request count not reset: Redis unreachable');
        // A reset only this process applied would be undone by the others' counts: refuse it instead.
        throw new AppError(
          'dependency_unavailable',
          'the request count cannot be reset while Redis is unreachable',
          { headers: retryAfter(5) },
        );
      }
      return { message: 'request count reset successfully' };
    },
  };
  return handlers;
}
