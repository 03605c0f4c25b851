import cluster from 'node:cluster';
import { type Config, ConfigError, loadConfig, readDotEnv } from './config/index.ts';
import { createDatabase } from './db/index.ts';
import { migrateToLatest } from './db/migrate.ts';
import { claimDataFolder } from './db/owner.ts';
import { waitForDatabase } from './db/wait.ts';
import { isDatabaseUnavailable, isRefusedByConfiguration } from './errors/index.ts';
import {
  banner,
  describeDatabase,
  ensurePortFree,
  handleShutdown,
  listenError,
} from './operations/lifecycle.ts';
import { logDestination } from './plugins/log-destination.ts';

/** Whether waiting longer could have helped: the server was not there yet, rather than refusing us. */
const isTransient = (error: unknown) => isDatabaseUnavailable(error) && !isRefusedByConfiguration(error);

/** A start-up that cannot succeed says why in one line and exits 1: no stack trace, no retries. */
function fail(reason: string): never {
  console.error(`start-up failed: ${reason}`);
  process.exit(1);
}

function readConfig(): Config {
  try {
    readDotEnv();
    const { config, warnings } = loadConfig();
    if (cluster.isPrimary) for (const warning of warnings) console.warn(`warning: ${warning}`);
    return config;
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(
        `configuration error: ${error.message}; fix it in the environment or .env (docs/configuration.md)`,
      );
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

/** Says once that it waits, and fails in one line naming the variables that fix it, with the last error. */
async function waitForPostgres(databaseUrl: string, timeoutMs: number): Promise<void> {
  const where = describeDatabase(databaseUrl);
  let told = false;
  try {
    await waitForDatabase(databaseUrl, timeoutMs, () => {
      if (!told) console.warn(`waiting up to ${timeoutMs} ms for PostgreSQL at ${where} (DB_STARTUP_TIMEOUT_MS)`);
      told = true;
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    fail(
      `${reason} (PostgreSQL at ${where}); check DATABASE_URL` +
        (isTransient((error as Error).cause) ? ', or wait longer with DB_STARTUP_TIMEOUT_MS' : ''),
    );
  }
}

/**
 * Checks the port first (a busy one is reported in a moment, not after migrating), waits (bounded) for
 * PostgreSQL, then migrates unless a separate step does (MIGRATE_ON_START=false).
 */
async function prepare(config: Config): Promise<void> {
  try {
    await claimDataFolder(config);
    await ensurePortFree(config.host, config.port);
    if (config.databaseUrl) await waitForPostgres(config.databaseUrl, config.dbStartupTimeoutMs);
    if (config.migrateOnStart) await migrate(config);
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
}

async function serve(config: Config): Promise<void> {
  // Loaded only now: a start-up that fails (busy port, unknown database) says so without loading the app first.
  const { buildApp } = await import('./app.ts');
  const { ensureAdmin } = await import('./auth/accounts.ts');
  const destination = logDestination();
  const app = await buildApp(config, { logDestination: destination });
  await ensureAdmin(app.deps.db, config, app.log);
  handleShutdown(app, config.shutdownTimeoutMs, destination);
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    fail(listenError(error, config));
  }
  if (cluster.isPrimary || cluster.worker?.id === 1) {
    for (const line of banner(config, app.server.address())) app.log.info(line);
  }
}

const config = readConfig();
// PGlite is an in-process database: only one process may open its data folder.
const workers = config.databaseUrl ? config.workers : 1;
if (workers > 1 && cluster.isPrimary) {
  await prepare(config);
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
  if (workers === 1) await prepare(config);
  await serve(config);
}
