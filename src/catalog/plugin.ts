import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config/index.ts';
import { type CatalogClient, createCatalogClient } from './client.ts';

declare module 'fastify' {
  interface FastifyInstance {
    catalogClient: CatalogClient;
  }
}

/** The upstream catalogue's connection pool: one per app, closed with it. */
async function catalogClient(app: FastifyInstance, { config }: { config: Config }) {
  const settings = config.movieApi;
  // Kept back from the upstream's budget so that reading the stale copy still fits in the deadline.
  const reserveMs = Math.min(200, Math.floor(settings.deadlineMs / 10));
  const client = createCatalogClient({ settings, budgetMs: settings.deadlineMs - reserveMs, log: app.log });
  app.decorate('catalogClient', client);
  app.addHook('onClose', () => client.close());
}

export default fp(catalogClient, { name: 'marquee-catalog-client', fastify: '5.x' });
