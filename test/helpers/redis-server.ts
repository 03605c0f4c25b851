/** A redis-server of a test's own, on a free port, for tests that kill it. Killed in teardown. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Test } from 'tap';
import { freePort } from './server-process.ts';

export const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;

/** Whether something on `port` answers PING with PONG. */
export async function pong(port: number, host = '127.0.0.1'): Promise<boolean> {
  const socket = connect(port, host);
  try {
    await once(socket, 'connect');
    socket.write('PING\r\n');
    const [data] = await once(socket, 'data');
    return String(data).startsWith('+PONG');
  } catch {
    return false;
  } finally {
    socket.destroy();
  }
}

export interface PrivateRedis {
  child: ChildProcess;
  port: number;
  url: string;
}

/** Without persistence: killing it loses everything, as a real crash would. */
export async function startRedis(t: Test, options: { port?: number; bind?: string } = {}): Promise<PrivateRedis> {
  const port = options.port ?? (await freePort());
  const bind = options.bind ?? '127.0.0.1';
  const child = spawn(
    'redis-server',
    [
      ...['--port', String(port), '--bind', ...bind.split(' '), '--save', '', '--appendonly', 'no'],
      // Bound to test namespaces' links rather than the loopback: protected mode would refuse them.
      ...['--protected-mode', bind === '127.0.0.1' ? 'yes' : 'no'],
    ],
    { stdio: 'ignore' },
  );
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const host = bind.split(' ')[0] as string;
  for (let i = 0; i < 100 && !(await pong(port, host)); i++) await sleep(50);
  if (!(await pong(port, host))) throw new Error(`redis-server did not answer on ${host}:${port}`);
  return { child, port, url: `redis://${host}:${port}` };
}
