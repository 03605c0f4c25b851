import cluster from 'node:cluster';
import closeWithGrace from 'close-with-grace';
import 'dotenv/config';
import { buildApp } from './app.ts';
import { ensureAdmin } from './auth/accounts.ts';
import { type Config, ConfigError, loadConfig } from './config/index.ts';
import { createDatabase } from './db/index.ts';
import { migrateToLatest } from './db/migrate.ts';
import { waitForDatabase } from './db/wait.ts';
import { logDestination } from './plugins/log-destination.ts';

function readConfig(): Config {
  try {
    const { config, warnings } = loadConfig();
    if (cluster.isPrimary) for (const warning of warnings) console.warn(`warning: ${warning}`);
    return config;
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`configuration error: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}

async function migrate(config: Config): Promise<void> {
  const { db } = createDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 1 });
  try {
    await migrateToLatest(db);
  } finally {
    await db.destroy();
  }
}

/** Waits (bounded) for PostgreSQL, then migrates unless a separate step does (MIGRATE_ON_START=false). */
async function prepareDatabase(config: Config): Promise<void> {
  try {
    if (config.databaseUrl) {
      await waitForDatabase(config.databaseUrl, config.dbStartupTimeoutMs, (message) =>
        console.warn(message),
      );
    }
    if (config.migrateOnStart) await migrate(config);
  } catch (error) {
    console.error(`start-up failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

async function serve(config: Config): Promise<void> {
  const destination = logDestination();
  const app = await buildApp(config, { logDestination: destination });
  await ensureAdmin(app.deps.db, config, app.log);
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error');
    else app.log.info({ signal }, 'shutting down');
    await app.close();
    // The last lines (this shutdown's included) are out before the process exits.
    await destination?.flush();
  });
  await app.listen({ host: config.host, port: config.port });
}

const config = readConfig();
// PGlite is an in-process database: only one process may open its data folder.
const workers = config.databaseUrl ? config.workers : 1;
if (workers > 1 && cluster.isPrimary) {
  await prepareDatabase(config);
  if (config.requestCounter && !config.redisUrl) {
    console.warn('warning: WORKERS > 1 without REDIS_URL: each worker keeps a request count of its own');
  }
  for (let i = 0; i < workers; i++) cluster.fork();
  // Each worker shuts down gracefully on its own; the primary exits once they all have. Docker and Kubernetes
  // signal only the primary, so it relays SIGTERM; a terminal's Ctrl-C already reaches every process.
  let stopping = false;
  process.on('SIGINT', () => {
    stopping = true;
  });
  process.on('SIGTERM', () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  });
  cluster.on('exit', (worker, code, signal) => {
    if (!stopping && code !== 0 && signal !== 'SIGTERM' && signal !== 'SIGINT') {
      console.error(`worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
      cluster.fork();
    }
  });
} else {
  if (workers === 1) await prepareDatabase(config);
  await serve(config);
}
