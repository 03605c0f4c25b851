// A newcomer's configuration mistakes, made the way they make them (`npm start` with a bad variable, typos in
// .env, a wrong port in DATABASE_URL): each is one line naming the variable and the fix, no stack trace.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { freePort } from '../helpers/server-process.ts';

const MARQUEE = fileURLToPath(new URL('../../bin/marquee.js', import.meta.url));

/** `npm start` in a folder of its own (its .env, its data), development by default; bounded to a minute. */
async function start(t: Test, env: Record<string, string>, dotEnv = '') {
  const cwd = mkdtempSync(join(tmpdir(), 'marquee-mistake-'));
  t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
  if (dotEnv) writeFileSync(join(cwd, '.env'), dotEnv);
  const child = spawn(process.execPath, [MARQUEE], { cwd, env: { PATH: process.env.PATH, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(killer);
  return { code, stdout, stderr, lines: stderr.trim().split('\n') };
}

const noStackTrace = (t: Test, output: string) => t.notMatch(output, /^\s+at /m, 'no stack trace');

t.test('an unknown LOG_LEVEL: one line naming it and the levels', async (t) => {
  const run = await start(t, { LOG_LEVEL: 'verbose' });
  t.equal(run.code, 1, 'exit code 1');
  t.same(run.lines, [
    'configuration error: LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"; ' +
      'fix it in the environment or .env (docs/configuration.md)',
  ]);
  t.equal(run.stdout, '');
  noStackTrace(t, run.stderr);
});

t.test('typos in .env are named with the closest real variable', async (t) => {
  // A busy port stops the start right after the configuration is read: the warnings are what is looked at.
  const blocker = createServer().listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  t.teardown(() => blocker.close());
  const { port } = blocker.address() as { port: number };
  const run = await start(
    t,
    { PORT: String(port) },
    'DATABSE_URL=postgres://postgres@127.0.0.1:5432/test\nLOG_LEVL=warn\nMARQUEE_PORTT=1\n',
  );
  t.equal(run.code, 1);
  t.match(run.lines, [
    'warning: DATABSE_URL is not a Marquee variable and is ignored; did you mean DATABASE_URL?',
    'warning: LOG_LEVL is not a Marquee variable and is ignored; did you mean LOG_LEVEL?',
    'warning: MARQUEE_PORTT is not a Marquee variable and is ignored; did you mean PORT?',
    /^warning: JWT_SECRET is not set/,
    `start-up failed: port ${port} on 127.0.0.1 is already in use (PORT, HOST)`,
  ]);
  noStackTrace(t, run.stderr);
});

t.test('a bad value of every kind is one line naming its variable', async (t) => {
  const cases: Record<string, string> = {
    PORT: '70000',
    DATABASE_URL: 'mysql://db/marquee',
    DB_PREPARED_STATEMENTS: 'maybe',
    NODE_ENV: 'staging',
    JWT_SECRET: 'short',
  };
  for (const [name, value] of Object.entries(cases)) {
    const run = await start(t, { [name]: value });
    t.equal(run.code, 1, `${name}: exit code 1`);
    t.equal(run.lines.length, 1, `${name}: one line`);
    t.match(run.lines[0], new RegExp(`^configuration error: ${name}: must be .*; fix it in the environment or .env`));
    noStackTrace(t, run.stderr);
  }
  t.notMatch((await start(t, { JWT_SECRET: 'short-secret' })).stderr, 'short-secret', 'a secret is not echoed');
});

t.test('a wrong port in DATABASE_URL fails in development within seconds, naming both settings', async (t) => {
  const port = await freePort();
  // Its own listening port too: the default 3000 may be taken on a shared machine, which would fail first.
  const run = await start(t, {
    PORT: String(await freePort()),
    DATABASE_URL: `postgres://postgres:hunter2-secret@127.0.0.1:${port}/marquee`,
  });
  t.equal(run.code, 1, 'exit code 1');
  t.match(run.lines, [
    /^warning: JWT_SECRET is not set/,
    `waiting up to 3000 ms for PostgreSQL at 127.0.0.1:${port}/marquee (DB_STARTUP_TIMEOUT_MS)`,
    new RegExp(
      `^start-up failed: database not reachable after \\d+ attempts in 3000 ms: ` +
        `connect ECONNREFUSED 127\\.0\\.0\\.1:${port} \\(PostgreSQL at 127\\.0\\.0\\.1:${port}/marquee\\); ` +
        'check DATABASE_URL, or wait longer with DB_STARTUP_TIMEOUT_MS$',
    ),
  ]);
  t.equal(run.lines.length, 3, 'no line per retry');
  t.notMatch(run.stderr + run.stdout, 'hunter2', 'never the password');
  noStackTrace(t, run.stderr);
});
