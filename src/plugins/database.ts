import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type pg from 'pg';
import type { Config } from '../config/index.ts';
import { createDatabase, type Database } from '../db/index.ts';

declare module 'fastify' {
  interface FastifyInstance {
    db: Database;
    /** The pg pool behind `db`, when the app opened one itself over PostgreSQL (PGlite has none). */
    dbPool: pg.Pool | undefined;
  }
}

export interface DatabaseOptions {
  config: Config;
  /** A database the caller owns (tests): used as it is and left open on close. */
  db?: Database | undefined;
}

/** The app's database: the caller's, or one opened from config and closed with the app. */
async function database(app: FastifyInstance, { config, db }: DatabaseOptions) {
  if (db) {
    app.decorate('db', db);
    app.decorate('dbPool', undefined);
    return;
  }
  const created = createDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.dbPoolSize,
    preparedStatements: config.dbPreparedStatements,
    // Only the message: pg-pool attaches its whole client object to the error.
    onIdleError: (err) =>
      app.log.warn({ reason: err.message }, 'an idle database connection was lost; the pool replaces it'),
  });
  app.decorate('db', created.db);
  app.decorate('dbPool', created.pool);
  app.addHook('onClose', () => created.db.destroy());
}

export default fp(database, { name: 'marquee-database', fastify: '5.x' });
