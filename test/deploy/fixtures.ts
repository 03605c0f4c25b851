/** What the deployment-file tests share: the repository's files, src/config's variables, the spec's routes. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import { type Env, loadConfig } from '../../src/config/index.ts';
import { VARIABLES } from '../../src/config/variables.ts';
import { loadSpec } from '../../src/spec/index.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
export const { document } = loadSpec();
export const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
export const words = (command: string) => command.trim().split(/\s+/);

/** Every variable src/config reads: one entry each in src/config/variables.ts. */
export const CONFIG_VARIABLES: ReadonlySet<string> = new Set(Object.keys(VARIABLES));
export const SECRET_VARIABLES = ['JWT_SECRET', 'DATABASE_URL', 'REDIS_URL', 'METRICS_TOKEN', 'ADMIN_PASSWORD'];
/** The graceful-shutdown bound by default (SHUTDOWN_TIMEOUT_MS), in seconds. */
export const SHUTDOWN_SECONDS =
  loadConfig({ DATA_DIR: 'memory://', JWT_SECRET: 'x'.repeat(32) }).config.shutdownTimeoutMs / 1000;

/** A GET the spec declares, whatever its security. */
export function specGet(path: string): boolean {
  return document.paths[path]?.get !== undefined;
}

export function publicGet(path: string): boolean {
  const get = document.paths[path]?.get as { security?: unknown[] } | undefined;
  return get !== undefined && Array.isArray(get.security) && get.security.length === 0;
}

export function checkVariables(t: Test, env: Env, where: string) {
  for (const name of Object.keys(env)) {
    t.ok(CONFIG_VARIABLES.has(name), `${where}: ${name} is a variable src/config reads`);
  }
  t.doesNotThrow(() => loadConfig(env), `${where}: the configuration is accepted`);
  const { config } = loadConfig(env);
  t.equal(config.env, 'production', `${where}: NODE_ENV=production`);
  t.ok(env.JWT_SECRET, `${where}: JWT_SECRET is set (required in production)`);
  t.ok(config.databaseUrl, `${where}: a real PostgreSQL, not PGlite`);
  t.ok(config.redisUrl, `${where}: Redis, so the counter and rate limits are shared by the replicas`);
  t.equal(config.migrateOnStart, false, `${where}: replicas do not migrate`);
  t.equal(config.workers, 1, `${where}: one process per container; replicas scale out`);
  t.equal(config.host, '0.0.0.0', `${where}: listens beyond the container's loopback`);
  return config;
}
