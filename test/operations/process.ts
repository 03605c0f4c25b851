/** Real server processes and real sockets for the resilience tests: `node src/server.ts` on a free port. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import { TEST_JWT_SECRET } from '../helpers/app.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

export type LogLine = Record<string, unknown> & { msg?: string; reqId?: string };

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  /** Parsed JSON log lines from stdout, in order. */
  logs: LogLine[];
  /** Everything written to stdout and stderr, for failure messages and leak checks. */
  output(): string;
  /** The first log line (already written or still to come) that matches; rejects after `timeoutMs`. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Raw output containing `text`; rejects after `timeoutMs`. */
  waitForOutput(text: string, timeoutMs?: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Spawns the server with a minimal environment of its own (not this process's), PGlite in a temporary folder
 * unless `DATABASE_URL` is given. Waits for "Server listening" unless `listening: false`. Killed in teardown.
 */
export async function startServer(
  t: Test,
  env: Record<string, string | undefined> = {},
  options: { listening?: boolean } = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['src/server.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'info',
      JWT_SECRET: TEST_JWT_SECRET,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'marquee-server-')),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  t.teardown(async () => {
    if (!t.passing()) t.comment(`server output (last 4000 characters):\n${text.slice(-4000)}`);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });

  const logs: LogLine[] = [];
  let text = '';
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of waiters) waiter();
  };
  let pending = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        // cluster primaries and start-up messages write plain text; `output()` keeps it
      }
    }
    notify();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
    notify();
  });

  function waitUntil<T>(check: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const attempt = () => {
        const found = check();
        if (found === undefined) return false;
        cleanup();
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}; server output:\n${text.slice(-4000)}`));
      }, timeoutMs);
      const gone = () => {
        if (attempt()) return;
        cleanup();
        reject(new Error(`server exited while waiting for ${what}; output:\n${text.slice(-4000)}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(attempt);
        child.off('exit', gone);
      };
      if (attempt()) return;
      waiters.add(attempt);
      child.once('exit', gone);
    });
  }

  const server: ServerProcess = {
    child,
    port,
    logs,
    output: () => text,
    waitForLog: (match, timeoutMs = 30_000) =>
      waitUntil(() => logs.find(match), 'a matching log line', timeoutMs),
    waitForOutput: (wanted, timeoutMs = 30_000) =>
      waitUntil(() => (text.includes(wanted) ? true : undefined), `"${wanted}"`, timeoutMs).then(() => {}),
    exited,
  };
  if (options.listening !== false) await server.waitForOutput('Server listening at');
  return server;
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request on its own connection (no keep-alive pool), so a refused connection shows as ECONNREFUSED. */
export function get(port: number, path: string, headers: Record<string, string> = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, method: 'GET', headers, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Resolves 'refused' or 'accepted' for one new TCP connection. */
export function tryConnect(port: number): Promise<'refused' | 'accepted'> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('accepted');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') resolve('refused');
      else reject(error);
    });
  });
}

export interface HoldingProxy {
  port: number;
  /** From now on, bytes from clients are kept instead of forwarded. */
  hold(): void;
  /** Resolves when held bytes have arrived. */
  holding(): Promise<void>;
  /** Forwards everything kept, and everything after it. */
  release(): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of a real server (Redis here) that can stop forwarding the client's bytes: a dependency
 * that is slow for exactly as long as the test decides, without sleeping or patching the service.
 */
export async function startHoldingProxy(target: { host: string; port: number }): Promise<HoldingProxy> {
  let holding = false;
  const held: Array<{ upstream: Socket; data: Buffer }> = [];
  const heldWaiters: Array<() => void> = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection(target);
    sockets.add(client).add(upstream);
    client.on('data', (data) => {
      if (!holding) {
        upstream.write(data);
        return;
      }
      held.push({ upstream, data });
      for (const waiter of heldWaiters.splice(0)) waiter();
    });
    upstream.on('data', (data) => client.write(data));
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', closeBoth).on('error', closeBoth);
    upstream.on('close', closeBoth).on('error', closeBoth);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as { port: number }).port,
    hold() {
      holding = true;
    },
    holding: () =>
      held.length > 0 ? Promise.resolve() : new Promise<void>((resolve) => heldWaiters.push(resolve)),
    release() {
      holding = false;
      for (const { upstream, data } of held.splice(0)) upstream.write(data);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
