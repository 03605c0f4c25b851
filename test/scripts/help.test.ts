// Every command's --help answers with its usage (exit 0) and an unknown flag is refused with it (exit 2),
// before anything is done: no database opened, no password changed, no service started.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const COMMANDS = [
  'scripts/users.ts',
  'scripts/demo.ts',
  'scripts/db.ts',
  'scripts/fake-upstream/cli.ts',
  'scripts/postman.ts',
  'scripts/bench.ts',
];

const folder = mkdtempSync(join(tmpdir(), 'marquee-help-'));
t.teardown(() => rmSync(folder, { recursive: true, force: true }));
const dataDir = join(folder, 'data');

function run(script: string, flag: string) {
  return spawnSync(process.execPath, [script, flag], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, NODE_ENV: 'test', DATA_DIR: dataDir },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

for (const script of COMMANDS) {
  t.test(script, async (t) => {
    const help = run(script, '--help');
    t.equal(help.status, 0, '--help exits 0');
    t.match(help.stdout, /^usage:/, 'with the usage on stdout');
    t.equal(help.stderr, '', 'and nothing on stderr');

    const unknown = run(script, '--no-such-flag');
    t.equal(unknown.status, 2, 'an unknown flag exits 2');
    t.match(unknown.stderr, /^Unknown option '--no-such-flag'/, 'naming the flag');
    t.match(unknown.stderr, /\nusage:/, 'with the usage');
    t.equal(unknown.stdout, '');
    t.notOk(existsSync(dataDir), 'no database was opened');
  });
}
