/** A PostgreSQL cluster of the test's own (initdb in a temporary folder), which a test may stop and start. */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Test } from 'tap';
import { freePort } from './server-process.ts';

const run = promisify(execFile);
const ROOT_DIR = '/usr/lib/postgresql';

/** The newest installed PostgreSQL's bin folder, or undefined when none is installed. */
export function postgresBin(): string | undefined {
  if (!existsSync(ROOT_DIR)) return undefined;
  const versions = readdirSync(ROOT_DIR)
    .filter((name) => existsSync(join(ROOT_DIR, name, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(ROOT_DIR, versions[0], 'bin');
}

export interface PrivatePostgres {
  url: string;
  start(): Promise<void>;
  /** `pg_ctl stop -m fast`: PostgreSQL ends every session (57P01) and stops listening. */
  stop(): Promise<void>;
}

/**
 * initdb refuses to run as root; the server's files then belong to the `postgres` system user, as a packaged
 * PostgreSQL's do.
 */
export interface PrivatePostgresOptions {
  /** PostgreSQL's max_connections (50 unless set); 3 of them stay reserved for superusers. */
  maxConnections?: number;
  /** pg_hba.conf lines put before initdb's `trust` ones, such as a password rule for one role. */
  hba?: string[];
}

export async function startPrivatePostgres(
  t: Test,
  bin: string,
  { maxConnections = 50, hba = [] }: PrivatePostgresOptions = {},
): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'marquee-pg-'));
  const asRoot = process.getuid?.() === 0;
  const pgctl = async (...args: string[]) => {
    const command = join(bin, args[0]!);
    const rest = args.slice(1);
    return asRoot ? run('runuser', ['-u', 'postgres', '--', command, ...rest]) : run(command, rest);
  };
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const data = join(dir, 'data');
  await pgctl('initdb', '-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8');
  if (hba.length > 0) {
    const file = join(data, 'pg_hba.conf');
    writeFileSync(file, `${hba.join('\n')}\n${readFileSync(file, 'utf8')}`);
  }
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=${maxConnections}`;
  const cluster: PrivatePostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start: async () => {
      await pgctl('pg_ctl', '-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-t', '60', 'start');
    },
    stop: async () => {
      await pgctl('pg_ctl', '-D', data, '-m', 'fast', '-w', '-t', '60', 'stop');
    },
  };
  t.teardown(async () => {
    await pgctl('pg_ctl', '-D', data, '-m', 'immediate', '-w', 'stop').catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });
  await cluster.start();
  return cluster;
}
