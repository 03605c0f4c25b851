// What a person sees when `npm start` cannot work, and when it does: one line naming the problem, at once.
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { createTestDatabase } from '../helpers/database.ts';
import { type ServerProcess, startServer } from '../helpers/server-process.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VERSION = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')).version;

/**
 * How long a start waits for a database that does not answer before it gives up: a start that waited (instead of
 * failing at once) takes at least this long, so half of it bounds "at once" generously on any machine.
 */
const STARTUP_TIMEOUT_MS = 60_000;

/** Starts a server expected to fail; resolves with its exit, its output lines and how long it took. */
async function failedStart(t: Parameters<typeof startServer>[0], env: Record<string, string>) {
  const started = Date.now();
  const server: ServerProcess = await startServer(
    t,
    { DB_STARTUP_TIMEOUT_MS: String(STARTUP_TIMEOUT_MS), ...env },
    { listening: false, expectExit: true },
  );
  const exit = await server.exited;
  const lines = server.output().trim().split('\n');
  return { exit, lines, elapsed: Date.now() - started };
}

const oldNode = ['/usr/bin/node', '/usr/local/bin/node']
  .map((path) => ({ path, version: spawnSync(path, ['--version'], { encoding: 'utf8' }).stdout?.trim() }))
  .find(({ version }) => version && Number(/^v(\d+)/.exec(version)?.[1]) < 24);

const noOldNode = !oldNode && 'no Node.js older than 24 on this machine';
t.test('an old Node.js gets one line naming the version needed', { skip: noOldNode }, async (t) => {
  const run = spawnSync(oldNode!.path, ['bin/marquee.js'], { cwd: ROOT, encoding: 'utf8', env: {} });
  t.not(run.status, 0, `${oldNode!.version}: exits non-zero`);
  t.equal(run.stdout, '');
  t.match(run.stderr, /^Marquee needs Node\.js >=24\.7; this is Node\.js \d+\.\d+\.\d+ \(.+\)\.\n$/);
});

t.test('a busy port: one line naming it, at once, before the database is touched', async (t) => {
  const blocker = createServer().listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  t.teardown(() => blocker.close());
  const { port } = blocker.address() as { port: number };
  // A database that does not exist: reaching it would fail differently, so the port is checked first.
  const { exit, lines, elapsed } = await failedStart(t, {
    PORT: String(port),
    DATABASE_URL: 'postgres://postgres@127.0.0.1:1/never-reached',
  });
  t.same(exit, { code: 1, signal: null });
  t.same(lines, [`start-up failed: port ${port} on 127.0.0.1 is already in use (PORT, HOST)`]);
  t.ok(elapsed < STARTUP_TIMEOUT_MS / 2, `exited after ${elapsed} ms, without waiting for the database`);
});

const databaseUrl = process.env.DATABASE_URL;
const noPostgres = !databaseUrl && 'DATABASE_URL is not set: needs a real PostgreSQL';
t.test('permanent database errors fail at once with the reason', { skip: noPostgres }, async (t) => {
  const url = new URL(databaseUrl!);
  const missingDb = `marquee_missing_${process.pid}`;
  url.pathname = `/${missingDb}`;
  const unknownDb = await failedStart(t, { DATABASE_URL: url.href });
  t.same(unknownDb.exit, { code: 1, signal: null });
  t.same(unknownDb.lines, [
    `start-up failed: database refused the connection: database "${missingDb}" does not exist ` +
      `(PostgreSQL at ${url.hostname}:${url.port || 5432}/${missingDb}); check DATABASE_URL`,
  ]);
  t.ok(unknownDb.elapsed < STARTUP_TIMEOUT_MS / 2, `unknown database: exited after ${unknownDb.elapsed} ms, no retries`);

  const role = new URL(databaseUrl!);
  role.username = `marquee_nobody_${process.pid}`;
  const unknownRole = await failedStart(t, { DATABASE_URL: role.href });
  t.same(unknownRole.exit, { code: 1, signal: null });
  t.match(unknownRole.lines, [
    new RegExp(`^start-up failed: database refused the connection: .*"${role.username}"`),
  ]);
  t.ok(unknownRole.elapsed < STARTUP_TIMEOUT_MS / 2, `unknown role: exited after ${unknownRole.elapsed} ms, no retries`);
});

t.test('a clean start: no warnings, one line with the docs URL', async (t) => {
  const database = await createTestDatabase(t, { migrate: false });
  const server = await startServer(t, { DATABASE_URL: database.url, REDIS_URL: process.env.REDIS_URL });
  await server.waitForLog((line) => line.msg?.startsWith('API documentation') === true);
  const output = server.output().trim().split('\n');
  const notJson = output.filter((line) => !line.startsWith('{'));
  t.same(notJson, [], 'every line is a JSON log line (stdout is not a terminal)');
  t.same(
    server.logs.filter((line) => Number(line.level) >= 40),
    [],
    'nothing at warn level or above',
  );
  t.same(
    server.logs.filter((line) => /docs/.test(line.msg ?? '')).map((line) => line.msg),
    [`API documentation: ${server.url}/docs`],
  );
  const postgres = database.url ? new URL(database.url) : undefined;
  const redis = process.env.REDIS_URL ? new URL(process.env.REDIS_URL) : undefined;
  const messages = server.logs.map((line) => String(line.msg));
  for (const expected of [
    `Marquee ${VERSION} (test) on ${server.url}`,
    postgres
      ? `database: PostgreSQL at ${postgres.hostname}:${postgres.port || 5432}${postgres.pathname}`
      : 'database: embedded (PGlite) in /',
    redis ? `request counter: Redis at ${redis.hostname}:${redis.port || 6379}` : 'request counter: in this process only',
    'catalogue: bundled sample, in-process (no MOVIE_API_URL)',
  ]) {
    t.ok(
      messages.some((message) => message.startsWith(expected)),
      `the banner says "${expected}"`,
    );
  }
});
