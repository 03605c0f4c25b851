import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const root = fileURLToPath(new URL('../..', import.meta.url));

if (!process.env.DATABASE_URL || !process.env.REDIS_URL) {
  t.plan(0, 'skipped: the benchmark smoke run needs DATABASE_URL and REDIS_URL (real PostgreSQL and Redis)');
} else {
  t.test('npm run bench -- --smoke runs every scenario without an error or a non-2xx', async (t) => {
    const run = spawnSync(process.execPath, ['scripts/bench.ts', '--smoke'], {
      cwd: root,
      env: process.env,
      encoding: 'utf8',
      timeout: 240_000,
    });
    t.equal(run.status, 0, `exit status (stderr tail: ${run.stderr.slice(-1500)})`);
    t.match(run.stdout, /\| GET \/actors\/\{id\} \|/, 'the table lists the full-stack actor read');
    t.match(run.stdout, /\| baseline GET \/actors\/\{id\} \|/, 'and the baseline beside it');
    t.match(run.stdout, /load by (wrk|autocannon)/, 'it says which load generator measured');
    t.match(run.stdout, /\| GET \/collection\/ \| \d+ \(.*\) \| \d+ \(/, 'the scale table has a row per read');
    t.match(run.stdout, /p99 [\d.]+× while logging in/, 'the login p99 ratio');
    t.match(run.stdout, /RSS after the run/, 'and the memory after the run');
  });
}
