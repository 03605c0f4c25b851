import cluster from 'node:cluster';
import closeWithGrace from 'close-with-grace';
import 'dotenv/config';
import { buildApp } from './app.ts';
import { type Config, ConfigError, loadConfig } from './config/index.ts';
import { createDatabase } from './db/index.ts';
import { migrateToLatest } from './db/migrate.ts';

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

async function serve(config: Config): Promise<void> {
  const app = await buildApp(config);
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error');
    else app.log.info({ signal }, 'shutting down');
    await app.close();
  });
  await app.listen({ host: config.host, port: config.port });
}

const config = readConfig();
// PGlite is an in-process database: only one process may open its data folder.
const workers = config.databaseUrl ? config.workers : 1;
if (workers > 1 && cluster.isPrimary) {
  await migrate(config);
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM' && signal !== 'SIGINT') {
      console.error(`worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
      cluster.fork();
    }
  });
} else {
  if (workers === 1) await migrate(config);
  await serve(config);
}
