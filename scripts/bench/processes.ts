/** The benchmark's child processes: the service as `npm start` runs it, its variants and the baseline. */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from '../free-port.ts';

export const root = fileURLToPath(new URL('../..', import.meta.url));

export interface Proc {
  name: string;
  url: string;
  child: ChildProcess;
}

const running: Proc[] = [];

/** The node flags of `npm start` (package.json): the service is measured as it is run, the baseline alike. */
const START_FLAGS = (
  JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }
).scripts.start
  .split(/\s+/)
  .filter((word) => word.startsWith('--'));

/**
 * Starts a process and waits until `readyPath` answers below 500. Its stdout (the access log) goes to a pipe
 * that this process drains, as a container runtime's log collector would read it: every process under test
 * writes its log to the same kind of destination.
 */
export async function start(
  name: string,
  script: string,
  env: Record<string, string>,
  options: { readyPath?: string; nodeFlags?: string[] } = {},
): Promise<Proc> {
  const port = await freePort();
  const flags = [...START_FLAGS, ...(options.nodeFlags ?? [])];
  const child = spawn(process.execPath, [...flags, script], {
    cwd: root,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout?.resume();
  const url = `http://127.0.0.1:${port}`;
  const proc = { name, url, child };
  running.push(proc);
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}${options.readyPath ?? '/health'}`);
      if (res.status < 500) return proc;
    } catch {}
    await sleep(100);
  }
  throw new Error(`${name} did not start`);
}

export async function stopAll(): Promise<void> {
  await Promise.all(
    running.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.child.exitCode !== null) return resolve();
          p.child.once('exit', () => resolve());
          p.child.kill('SIGTERM');
        }),
    ),
  );
}

/** The process and its children (cluster workers). */
function family(pid: number): number[] {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return [pid, ...children.map(Number)];
  } catch {
    return [pid];
  }
}

/**
 * CPU time (user + system, every thread) a process and its children have used, in ms. Per request, it is the
 * cost figure that a busy or noisy host disturbs least: req/s also moves with whatever else gets the cores.
 */
export function cpuMs(pid: number): number {
  let ticks = 0;
  for (const p of family(pid)) {
    try {
      // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ').at(-1)!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {}
  }
  return ticks * CLOCK_TICK_MS;
}

/** A load run, with the CPU time the serving process `pid` used during it per answered request. */
export async function withCpu<M extends { requests: number }>(pid: number, load: () => Promise<M>): Promise<M & { cpuUs: number }> {
  const before = cpuMs(pid);
  const measured = await load();
  return { ...measured, cpuUs: ((cpuMs(pid) - before) * 1000) / Math.max(1, measured.requests) };
}

/** Linux reports CPU time in clock ticks of 1/100 s (USER_HZ) on every architecture Node.js runs on. */
const CLOCK_TICK_MS = 10;

/** RSS in MB of a process, or of each of its children (cluster workers). */
export function rssMb(pid: number): number[] {
  const read = (p: number) => {
    try {
      const line = readFileSync(`/proc/${p}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
      return line ? Number(line[1]) / 1024 : 0;
    } catch {
      return 0;
    }
  };
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {}
  return children.length > 0 ? children.map(read) : [read(pid)];
}

/** A service's /metrics, read once: each series' value by name (NaN when absent). */
export async function scrape(url: string): Promise<(series: string) => number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return (series) => Number(new RegExp(`^${series} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
}

/** The event-loop delay since the previous scrape, in ms: prom-client resets its histogram on every scrape. */
export async function loopDelay(url: string): Promise<{ p99: number; max: number }> {
  const value = await scrape(url);
  const ms = (series: string) => Math.round(value(series) * 10000) / 10;
  return { p99: ms('nodejs_eventloop_lag_p99_seconds'), max: ms('nodejs_eventloop_lag_max_seconds') };
}
