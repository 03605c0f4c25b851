import type { AppDeps } from '../deps.ts';
import type { HandlerGroup } from '../spec/handlers.ts';
import { readCount, resetCount } from './service.ts';

export function createMetricsHandlers(_deps: AppDeps) {
  const handlers: HandlerGroup<'getRequestCount' | 'resetRequestCount'> = {
    async getRequestCount(request, reply) {
      const { requests, partial } = await readCount(request.server.requestCounter, request.requestCount);
      if (partial) reply.header('x-request-count-partial', 'true');
      return { requests };
    },

    async resetRequestCount(request) {
      await resetCount(request.server.requestCounter, request.log);
      return { message: 'request count reset successfully' };
    },
  };
  return handlers;
}
