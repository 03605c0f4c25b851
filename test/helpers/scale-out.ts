/**
 * Hosts on one machine for the scale-out test: network namespaces joined to the root namespace by veth pairs,
 * PgBouncer in front of the shared PostgreSQL, and nginx configured from deploy/nginx.conf. Everything is
 * removed in teardown, whatever happened.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import { crashCanary } from './server-process.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Host {
  /** The namespace's name: `ip netns exec <ns> ...` runs there. */
  ns: string;
  /** The root namespace's end of the veth pair: what the host reaches PgBouncer and Redis on. */
  gateway: string;
  /** The namespace's own address. */
  address: string;
}

function ip(...args: string[]): { ok: boolean; error: string } {
  const run = spawnSync('ip', args, { encoding: 'utf8' });
  return { ok: run.status === 0, error: (run.stderr ?? '') + (run.error?.message ?? '') };
}

/** Why namespaces cannot be made here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: network namespaces need root';
  const probe = `mqprobe${process.pid % 100000}`;
  const added = ip('netns', 'add', probe);
  if (!added.ok) return `ip netns add is not permitted here: ${added.error.trim()}`;
  ip('netns', 'del', probe);
  return undefined;
}

/** `count` hosts, each a namespace with one veth link to the root namespace (a /30 of its own). */
export function createHosts(t: Test, count: number): Host[] {
  const tag = process.pid % 10000;
  const net = `10.${200 + (process.pid % 50)}`;
  const hosts: Host[] = [];
  for (let i = 1; i <= count; i++) {
    const host = { ns: `mq${tag}n${i}`, gateway: `${net}.${i}.1`, address: `${net}.${i}.2` };
    const outside = `mq${tag}h${i}`;
    t.teardown(() => {
      ip('netns', 'del', host.ns);
      ip('link', 'del', outside);
    });
    const steps = [
      ['netns', 'add', host.ns],
      ['link', 'add', outside, 'type', 'veth', 'peer', 'name', `mq${tag}v${i}`],
      ['link', 'set', `mq${tag}v${i}`, 'netns', host.ns],
      ['addr', 'add', `${host.gateway}/30`, 'dev', outside],
      ['link', 'set', outside, 'up'],
      ['-n', host.ns, 'addr', 'add', `${host.address}/30`, 'dev', `mq${tag}v${i}`],
      ['-n', host.ns, 'link', 'set', `mq${tag}v${i}`, 'up'],
      ['-n', host.ns, 'link', 'set', 'lo', 'up'],
    ];
    for (const step of steps) {
      const done = ip(...step);
      if (!done.ok) throw new Error(`ip ${step.join(' ')}: ${done.error}`);
    }
    hosts.push(host);
  }
  return hosts;
}

/** A folder every user may write: nginx workers and PgBouncer do not run as root. */
export function sharedTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o777);
  return dir;
}

/**
 * Spawns a long-running process, killed (SIGKILL) in teardown if it still runs; its output is kept. An exit the
 * test did not ask for with `stop` fails the test (crashCanary).
 */
export function daemon(t: Test, command: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const canary = crashCanary(t, child, () => output.slice(-4000), `${command} ${args.at(-1) ?? ''}`);
  const stop = async (signal: NodeJS.Signals = 'SIGKILL') => {
    canary.ask();
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  t.teardown(async () => {
    await stop();
  });
  return { child, exited, output: () => output, stop };
}

export async function waitForPort(host: string, port: number, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host, port });
      socket.once('connect', () => resolve(true)).once('error', () => resolve(false));
      socket.once('close', () => socket.destroy());
    }).catch(() => false);
    if (open) return;
    if (Date.now() > deadline) throw new Error(`${what} is not listening on ${host}:${port}`);
    await sleep(100);
  }
}

/** PgBouncer in transaction mode on every host's gateway address, in front of PostgreSQL at 127.0.0.1:5432. */
export async function startPgBouncer(t: Test, hosts: Host[], port: number, user: string) {
  const dir = sharedTempDir('marquee-pgbouncer-');
  writeFileSync(join(dir, 'users.txt'), `"${user}" ""\n`, { mode: 0o644 });
  const config = [
    '[databases]',
    '* = host=127.0.0.1 port=5432',
    '[pgbouncer]',
    `listen_addr = ${hosts.map((h) => h.gateway).join(',')}`,
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = trust',
    `auth_file = ${join(dir, 'users.txt')}`,
    'pool_mode = transaction',
    'max_client_conn = 500',
    'default_pool_size = 20',
    'ignore_startup_parameters = extra_float_digits,options',
    `logfile = ${join(dir, 'pgbouncer.log')}`,
  ];
  writeFileSync(join(dir, 'pgbouncer.ini'), `${config.join('\n')}\n`, { mode: 0o644 });
  // PgBouncer refuses to run as root.
  const bouncer = daemon(t, 'pgbouncer', ['-u', 'nobody', join(dir, 'pgbouncer.ini')]);
  await waitForPort(hosts[0]!.gateway, port, 'PgBouncer');
  return bouncer;
}

export const ACCESS_LOG_FORMAT = '$msec $request_method $status "$upstream_addr" "$upstream_status"';

/**
 * deploy/nginx.conf with what differs off Docker: the replicas' addresses instead of Docker's DNS name, a
 * loopback port, and files in `dir`. Passive health checks: a replica that refuses is left alone for 1 s.
 */
export function nginxConfig(dir: string, port: number, upstreams: string[]): string {
  const site = readFileSync(join(ROOT, 'deploy/nginx.conf'), 'utf8')
    .replace(/^resolver .*$/m, '')
    .replace(
      /^(\s*)server api:(\d+) resolve;$/m,
      (_, indent: string, apiPort: string) =>
        upstreams.map((address) => `${indent}server ${address}:${apiPort} max_fails=1 fail_timeout=1s;`).join('\n'),
    )
    .replace(/^(\s*)listen 80;$/m, `$1listen 127.0.0.1:${port};`);
  if (site.includes('server api:')) throw new Error('deploy/nginx.conf: upstream line not recognised');
  return `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  log_format passed '${ACCESS_LOG_FORMAT}';
  access_log ${dir}/access.log passed;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${site}
}
`;
}

export interface Passed {
  at: number;
  method: string;
  status: number;
  /** Each replica nginx tried, with what it got from it ("502" when the connection failed). */
  attempts: Array<{ upstream: string; status: number }>;
}

export function readAccessLog(file: string): Passed[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [, msec, method, status, addrs, statuses] = /^(\S+) (\S+) (\d+) "([^"]*)" "([^"]*)"$/.exec(line)!;
      const upstreams = addrs!.split(/, | : /);
      const codes = statuses!.split(/, | : /);
      return {
        at: Number(msec) * 1000,
        method: method!,
        status: Number(status),
        attempts: upstreams
          .map((upstream, i) => ({ upstream, status: Number(codes[i]) }))
          .filter((attempt) => attempt.upstream !== '-'),
      };
    });
}
