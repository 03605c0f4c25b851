import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type pg from 'pg';
import type { Config } from '../config/index.ts';
import { createDatabase, type Database, type Notifications } from '../db/index.ts';

declare module 'fastify' {
  interface FastifyInstance {
    db: Database;
    /** The pg pool behind `db`, when the app opened one itself over PostgreSQL (PGlite has none). */
    dbPool: pg.Pool | undefined;
    /** Where the app hears the database's NOTIFYs; undefined for a caller's database given without them. */
    dbNotifications: Notifications | undefined;
  }
}

export interface DatabaseOptions {
  config: Config;
  /** A database the caller owns (tests): used as it is and left open on close. */
  db?: Database | undefined;
  notifications?: Notifications | undefined;
}

/** The app's database: the caller's, or one opened from config and closed with the app. */
async function database(app: FastifyInstance, { config, db, notifications }: DatabaseOptions) {
  if (db) {
    app.decorate('db', db);
    app.decorate('dbPool', undefined);
    app.decorate('dbNotifications', { getter: () => notifications });
    return;
  }
  const created = createDatabase({
    databaseUrl: config.databaseUrl,
    listenUrl: config.databaseListenUrl,
    dataDir: config.dataDir,
    poolSize: config.dbPoolSize,
    preparedStatements: config.dbPreparedStatements,
    // Only the message: pg-pool attaches its whole client object to the error.
    onIdleError: (err) =>
      app.log.warn({ reason: err.message }, 'an idle database connection was lost; the pool replaces it'),
  });
  app.decorate('db', created.db);
  app.decorate('dbPool', created.pool);
  app.decorate('dbNotifications', { getter: () => created.notifications });
  app.addHook('onClose', () => created.db.destroy());
}

export default fp(database, { name: 'marquee-database', fastify: '5.x' });
