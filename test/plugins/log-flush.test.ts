import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { crashCanary, freePort, serverEnv } from '../helpers/server-process.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const REQUESTS = 600;

t.test('a clean SIGTERM loses no log line, however many wait in the buffered log', async (t) => {
  const port = await freePort();
  const child = spawn(process.execPath, ['src/server.ts'], {
    cwd: ROOT,
    env: serverEnv(port, process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
    // stdout is a pipe nobody reads yet: once its 64 KiB are full, the service must keep lines in memory.
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const canary = crashCanary(t, child, () => '(stdout is read only after SIGTERM; stderr went to the test output)');
  t.teardown(() => {
    canary.ask();
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    if ((await fetch(`${url}/health`).catch(() => undefined))?.status === 200) break;
    await sleep(100);
  }
  const ids = Array.from({ length: REQUESTS }, (_, i) => `flush-${process.pid}-${i}`);
  // Twenty at a time: bounded, and about 300 KiB of log, far more than the pipe holds.
  for (let i = 0; i < ids.length; i += 20) {
    await Promise.all(
      ids.slice(i, i + 20).map(async (id) => {
        const res = await fetch(`${url}/health`, { headers: { 'x-request-id': id } });
        await res.arrayBuffer();
      }),
    );
  }
  canary.ask();
  child.kill('SIGTERM');
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  t.equal(code, 0, 'the service stopped cleanly');
  const lines = out
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { reqId?: string; msg?: string });
  const completed = new Set(lines.filter((l) => l.msg === 'request completed').map((l) => l.reqId));
  t.same(
    ids.filter((id) => !completed.has(id)),
    [],
    'every request has its "request completed" line',
  );
  t.ok(
    lines.some((l) => l.msg === 'shutting down'),
    'and the shutdown line, written after them, is there too',
  );
  t.equal(lines.at(-1)?.msg, 'stopped', 'the last line says the service stopped');
});
