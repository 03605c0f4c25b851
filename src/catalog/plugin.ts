import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config/index.ts';
import { type CatalogClient, createCatalogClient } from './client.ts';

declare module 'fastify' {
  interface FastifyInstance {
    catalogClient: CatalogClient;
  }
}

/**
 * Without MOVIE_API_URL (never in production, src/config), the bundled sample catalogue answers on the loopback
 * from inside this process: the catalogue works on the first start, with no credentials and no second terminal.
 */
async function catalogueSettings(app: FastifyInstance, settings: Config['movieApi']) {
  if (settings.url !== undefined) return { ...settings, url: settings.url };
  const { FAKE_DEFAULTS, startFakeUpstream } = await import('./sample/upstream.ts');
  const sample = await startFakeUpstream({ record: false });
  app.addHook('onClose', () => sample.close());
  return { ...settings, url: sample.url, username: FAKE_DEFAULTS.username, password: FAKE_DEFAULTS.password };
}

/** The upstream catalogue's connection pool: one per app, closed with it. */
async function catalogClient(app: FastifyInstance, { config }: { config: Config }) {
  const settings = await catalogueSettings(app, config.movieApi);
  // Kept back from the upstream's budget so that reading the stale copy still fits in the deadline.
  const reserveMs = Math.min(200, Math.floor(settings.deadlineMs / 10));
  const client = createCatalogClient({ settings, budgetMs: settings.deadlineMs - reserveMs, log: app.log });
  app.decorate('catalogClient', client);
  app.addHook('onClose', () => client.close());
}

export default fp(catalogClient, { name: 'marquee-catalog-client', fastify: '5.x' });
