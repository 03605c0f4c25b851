/**
 * `npm run postman`: starts a fresh service (PGlite in a temporary folder, or a new database on the server of
 * DATABASE_URL when set, dropped afterwards) with an
 * admin and the fake movie catalogue, runs generated/postman.json against it with newman, and prints
 *   postman: N requests, N assertions, N failed
 * `npm run postman -- --base-url URL --admin-username NAME --admin-password SECRET` runs it against a server
 * that is already running instead. Exits 1 when an assertion fails, a request errs or a request asserts nothing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { NewmanRunSummary } from 'newman';
import pg from 'pg';
import { FAKE_DEFAULTS, startFakeUpstream } from '../src/catalog/sample/upstream.ts';
import { commandLine } from './cli.ts';
import { freePort } from './free-port.ts';

const USAGE = `usage: npm run postman [-- --base-url URL --admin-username NAME --admin-password SECRET]
  without --base-url: a fresh service of its own (with DATABASE_URL: a new database beside it), stopped after
  with --base-url: that running server, signing in as the admin given (npm run demo makes demo-admin)`;
const { values: options } = commandLine(USAGE, {
  'base-url': { type: 'string' },
  'admin-username': { type: 'string' },
  'admin-password': { type: 'string' },
});
if (options['base-url'] !== undefined && (!options['admin-username'] || !options['admin-password'])) {
  console.error(`--base-url needs --admin-username and --admin-password\n${USAGE}`);
  process.exit(2);
}

const root = fileURLToPath(new URL('..', import.meta.url));

// newman reads every property of `fs` as it loads, the deprecated fs.F_OK too (DEP0176): its warning, not ours.
process.noDeprecation = true;
const { default: newman } = await import('newman');
process.noDeprecation = false;

async function startService(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['src/server.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode} before it was up`);
    const up = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false, // not listening yet
    );
    if (up) return { child, url };
    await sleep(200);
  }
  child.kill('SIGKILL');
  throw new Error('the service was not up within a minute');
}

/** A new, empty database beside DATABASE_URL's, so the run sees no one else's data and leaves none behind. */
async function freshDatabase(url: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `postman_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const own = new URL(url);
  own.pathname = `/${name}`;
  return {
    url: own.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`).finally(() => client.end());
    },
  };
}

/** Runs the collection against `baseUrl`, signing in as `admin`. */
function runCollection(baseUrl: string, admin: { username: string; password: string }): Promise<NewmanRunSummary> {
  const collection = JSON.parse(readFileSync(join(root, 'generated', 'postman.json'), 'utf8')) as {
    variable: { key: string; value: string }[];
  };
  const values: Record<string, string> = {
    baseUrl,
    adminUsername: admin.username,
    adminPassword: admin.password,
  };
  for (const variable of collection.variable) variable.value = values[variable.key] ?? variable.value;
  return new Promise<NewmanRunSummary>((resolve, reject) =>
    newman.run({ collection: collection as never, reporters: ['cli'], timeoutRequest: 30_000 }, (error, result) =>
      error ? reject(error) : resolve(result),
    ),
  );
}

/** A service of its own, with a fresh database, an admin and the fake catalogue; everything removed after. */
async function runOnFreshService(): Promise<NewmanRunSummary> {
  const upstream = await startFakeUpstream();
  const database = process.env.DATABASE_URL ? await freshDatabase(process.env.DATABASE_URL) : undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'marquee-postman-'));
  const admin = {
    username: `postman-admin-${randomBytes(4).toString('hex')}`,
    password: randomBytes(18).toString('base64url'),
  };
  const env: Record<string, string> = {
    JWT_SECRET: randomBytes(32).toString('hex'),
    DATA_DIR: dataDir,
    ADMIN_USERNAME: admin.username,
    ADMIN_PASSWORD: admin.password,
    MOVIE_API_URL: upstream.url,
    MOVIE_API_USERNAME: FAKE_DEFAULTS.username,
    MOVIE_API_PASSWORD: FAKE_DEFAULTS.password,
  };
  if (database) env.DATABASE_URL = database.url;
  if (process.env.REDIS_URL) env.REDIS_URL = process.env.REDIS_URL;
  // A shared Redis keeps counters and rate limits apart from every other user of it.
  if (env.REDIS_URL) env.REDIS_KEY_PREFIX = `postman:${randomBytes(6).toString('hex')}:`;

  let service: { child: ChildProcess; url: string } | undefined;
  try {
    service = await startService(env);
    return await runCollection(service.url, admin);
  } finally {
    if (service) {
      service.child.kill('SIGTERM');
      await once(service.child, 'exit');
    }
    await upstream.close();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const summary =
  options['base-url'] === undefined
    ? await runOnFreshService()
    : await runCollection(options['base-url'].replace(/\/+$/, ''), {
        username: options['admin-username'] as string,
        password: options['admin-password'] as string,
      });
const { stats } = summary.run;
const silent = summary.run.executions.filter((e) => (e.assertions ?? []).length === 0).map((e) => e.item.name);
const failed = (stats.assertions.failed ?? 0) + (stats.requests.failed ?? 0) + silent.length;
for (const name of silent) console.error(`no assertion ran for: ${name}`);
console.log(`postman: ${stats.requests.total} requests, ${stats.assertions.total} assertions, ${failed} failed`);
process.exit(failed === 0 && (stats.requests.total ?? 0) > 0 ? 0 : 1);
