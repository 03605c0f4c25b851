import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Env } from '../../src/config/index.ts';
import { TEST_JWT_SECRET } from '../helpers/secret.ts';
import type { ServerProcess } from '../helpers/server-process.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * What every process of one test shares: the embedded database in a fresh folder, whatever DATABASE_URL this test
 * run has (these tests are about PGlite's data folder and never read it, so CI runs them once), one JWT secret, and auth
 * rate limits out of the way of the logins that check what was stored.
 */
export function embeddedEnv(): Env {
  return {
    NODE_ENV: 'test',
    JWT_SECRET: TEST_JWT_SECRET,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'marquee-owner-')),
    // Empty, not absent: a developer's .env must not fill it in (process.loadEnvFile leaves variables that are set alone).
    DATABASE_URL: '',
    REDIS_URL: '',
    RATE_LIMIT_AUTH_MAX: '1000',
  };
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** `node <script> ...args` from the project root, as `npm run` starts it, with only `env` (and PATH). */
export function runNode(script: string, args: string[], env: Env): Promise<CommandResult> {
  const started = Date.now();
  const child = spawn(process.execPath, [script, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  // Bounded: a command that hangs fails the test instead of holding it until tap's timeout.
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

async function post(url: string, path: string, body: Record<string, string>) {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as unknown };
}

export function register(server: ServerProcess, username: string, password: string) {
  return post(server.url, '/api/auth/register/', { username, password });
}

/** The status of a login through the running server: 200 when the user and password are stored. */
export async function loginStatus(server: ServerProcess, username: string, password: string): Promise<number> {
  return (await post(server.url, '/api/auth/token/', { username, password })).status;
}

/** Passwords printed by `demo` (`# demo-member  member  password: X`) and `users create` (`password: X`). */
export function printedPasswords(output: string, username?: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const match of output.matchAll(/^# (\S+)\s+\S+\s+password: (\S+)$/gm)) found.set(match[1]!, match[2]!);
  const single = /^password: (\S+)$/m.exec(output);
  if (single && username) found.set(username, single[1]!);
  return found;
}

/**
 * Until GET /ready answers 200: the server's database is open, and with it the socket the commands use. (/health
 * answers as soon as the server listens, which on PGlite can be before the database has finished opening.)
 */
export async function waitUntilReady(server: ServerProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await fetch(`${server.url}/ready`).then((res) => res.status, () => 0)) !== 200) {
    if (Date.now() > deadline) throw new Error(`not ready within a minute:\n${server.output().slice(-2000)}`);
    await sleep(100);
  }
}
