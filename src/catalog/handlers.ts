import type { AppDeps } from '../deps.ts';
import type { HandlerGroup } from '../spec/handlers.ts';
import { queryWithDefaults } from '../spec/index.ts';
import type { CatalogClient } from './client.ts';
import { catalogUpstreamCalls } from './metrics.ts';
import { createCatalogService } from './service.ts';

export function createCatalogHandlers(
  deps: AppDeps,
  client: CatalogClient,
): HandlerGroup<'listCatalogMovies'> {
  const { spec } = deps;
  const catalog = createCatalogService(deps, client);
  const pageQuery = queryWithDefaults(spec.document, 'listCatalogMovies');
  return {
    async listCatalogMovies(request, reply) {
      // Links name this service, never the upstream nor a Host it does not answer for (refused before any call).
      const base = request.publicUrl('/catalog/movies');
      const { page, storedAt } = await catalog.loadPage(pageQuery(request.query).page);
      if (storedAt !== undefined) {
        catalogUpstreamCalls.inc({ outcome: 'stale_served' });
        reply.header('x-catalog-stale', 'true');
        reply.header('age', String(Math.max(0, Math.floor((Date.now() - storedAt) / 1000))));
      }
      const link = (n: number | null) => (n === null ? null : `${base}?page=${n}`);
      return {
        count: page.count,
        next: link(page.nextPage),
        previous: link(page.previousPage),
        data: page.data,
      };
    },
  };
}
