/** Real server processes for tests that need one of their own: `node bin/marquee.js`, stopped in teardown. */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import type { Env } from '../../src/config/index.ts';
import { freePort } from '../../scripts/free-port.ts';
import { TEST_JWT_SECRET } from './secret.ts';

export { freePort };

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The crash canary: `child` must not exit unless the test asked (`ask()` before stopping it, or `expectExit` for
 * a process that is meant to end on its own). An exit nobody asked for fails `t`, with the last lines it wrote.
 */
export function crashCanary(
  t: Test,
  child: ChildProcess,
  tail: () => string,
  what = 'the server process',
): { ask(): void } {
  let asked = false;
  child.once('exit', (code, signal) => {
    if (asked) return;
    t.fail(`${what} ${child.pid} exited unasked (${signal ?? `code ${code}`}); its last output:\n${tail()}`);
  });
  return {
    ask() {
      asked = true;
    },
  };
}

export type LogLine = Record<string, unknown> & { msg?: string; reqId?: string };

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  url: string;
  /** Parsed JSON log lines from stdout, in order. */
  logs: LogLine[];
  /** Everything written to stdout and stderr, for failure messages and checks on start-up output. */
  output(): string;
  /** The first log line (already written or still to come) that matches; rejects after `timeoutMs`. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Raw output containing `text`; rejects after `timeoutMs`. */
  waitForOutput(text: string, timeoutMs?: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` (SIGTERM by default) as the test asks; resolves when the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A server's minimal environment of its own (not this process's) on `port`, plus `env`. */
export function serverEnv(port: number, env: Env = {}): Env {
  return {
    PATH: process.env.PATH,
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'info',
    JWT_SECRET: TEST_JWT_SECRET,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'marquee-server-')),
    ...env,
  };
}

/**
 * Starts the server of this checkout (or of the copy in `cwd`) with its own minimal environment plus `env` (PGlite
 * in a temporary folder unless `DATABASE_URL` is given). Waits for GET /health 200 unless `listening: false`; fails
 * with its output if it exits first or is not up within a minute. Stopped in teardown (SIGTERM, SIGKILL 15 s later);
 * any other exit fails the test (crashCanary) unless `expectExit` says the process is meant to end by itself.
 */
export async function startServer(
  t: Test,
  env: Env = {},
  options: { listening?: boolean; expectExit?: boolean; cwd?: string } = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['bin/marquee.js'], {
    cwd: options.cwd ?? ROOT,
    env: serverEnv(port, env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const running = () => child.exitCode === null && child.signalCode === null;
  const logs: LogLine[] = [];
  let text = '';
  const tail = () => text.slice(-4000);
  const canary = crashCanary(t, child, tail);
  if (options.expectExit) canary.ask();
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    canary.ask();
    if (running()) child.kill(signal);
    return exited;
  };
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of waiters) waiter();
  };
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
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
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
    notify();
  });

  t.teardown(async () => {
    if (!t.passing()) t.comment(`server output (last 4000 characters):\n${tail()}`);
    if (!running()) return;
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await stop();
    clearTimeout(timer);
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
        reject(new Error(`timed out waiting for ${what}; server output:\n${tail()}`));
      }, timeoutMs);
      const gone = () => {
        if (attempt()) return;
        cleanup();
        reject(new Error(`server exited while waiting for ${what}; output:\n${tail()}`));
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
    url: `http://127.0.0.1:${port}`,
    logs,
    output: () => text,
    waitForLog: (match, timeoutMs = 30_000) =>
      waitUntil(() => logs.find(match), 'a matching log line', timeoutMs),
    waitForOutput: (wanted, timeoutMs = 30_000) =>
      waitUntil(() => (text.includes(wanted) ? true : undefined), `"${wanted}"`, timeoutMs).then(() => {}),
    exited,
    stop,
  };
  if (options.listening === false) return server;

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (!running()) throw new Error(`the server exited before it was up; output:\n${tail()}`);
    if (Date.now() > deadline) throw new Error(`the server was not up within a minute; output:\n${tail()}`);
    const status = await get(port, '/health').then(
      (res) => res.status,
      () => 0, // not listening yet
    );
    if (status === 200) return server;
    await sleep(100);
  }
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
      // A reset during the handshake is a connection the closing listener dropped from its queue: not served.
      if (error.code === 'ECONNREFUSED' || error.code === 'ECONNRESET') resolve('refused');
      else reject(error);
    });
  });
}

/** Start a server with these to have an admin that `serverToken` can log in as. */
export const SERVER_ADMIN = { ADMIN_USERNAME: 'process-admin', ADMIN_PASSWORD: 'process-admin-password' };

/** A JSON request to a server process, with a bearer token when given: its status and JSON body. */
export async function callServer(
  base: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

const post = (url: string, body: unknown) => callServer(url, 'POST', '', undefined, body);

/**
 * An access token of a real user, accepted by every server in `bases` (the servers accept only tokens of users
 * that exist): `admin` logs in as SERVER_ADMIN (the servers must have been started with it); `member` registers
 * one new user on each server, which servers on embedded databases of their own all number alike.
 */
export async function serverToken(bases: string[], role: 'admin' | 'member'): Promise<string> {
  let token: unknown;
  if (role === 'admin') {
    const login = await post(`${bases[0]}/api/auth/token/`, {
      username: SERVER_ADMIN.ADMIN_USERNAME,
      password: SERVER_ADMIN.ADMIN_PASSWORD,
    });
    token = login.json.access;
  } else {
    const credentials = { username: `member-${randomUUID()}`, password: 'correct-horse-battery' };
    for (const base of bases) {
      const registered = await post(`${base}/register/`, credentials);
      // Several servers over one shared database: the first registration made the user.
      if (registered.status === 201) token ??= registered.json.access_token;
      else if (registered.status !== 409) throw new Error(`registering answered ${registered.status}`);
    }
  }
  if (typeof token !== 'string') throw new Error(`no ${role} token`);
  for (const base of bases) {
    const me = await fetch(`${base}/api/v1/user`, { headers: { authorization: `Bearer ${token}` } });
    if (me.status !== 200) throw new Error(`the ${role} token answered ${me.status} at ${base}`);
  }
  return token;
}
