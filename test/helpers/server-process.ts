/** Real server processes for tests that need several of them: `node src/server.ts`, stopped in teardown. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import fastifyJwt from '@fastify/jwt';
import Fastify from 'fastify';
import type { Test } from 'tap';
import { request } from 'undici';
import { signAccessToken } from '../../src/auth/tokens.ts';
import type { Env } from '../../src/config/index.ts';
import { TEST_JWT_SECRET } from './app.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * A port nothing listens on: bound on port 0 and released. Needed because the server's own choice of port is not
 * visible from outside, and cluster workers must all be given the same one.
 */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

export interface ServerProcess {
  url: string;
  pid: number;
  /** The last of what it wrote to stdout and stderr, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts the server with a minimal environment of its own (not this process's) plus `env`, and waits until
 * GET /health answers 200. Fails with the server's output if it exits first or takes longer than a minute.
 */
export async function startServer(t: Test, env: Env): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['src/server.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      JWT_SECRET: TEST_JWT_SECRET,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'marquee-server-')),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const keep = (chunk: string) => {
    text = (text + chunk).slice(-8000);
  };
  child.stdout.setEncoding('utf8').on('data', keep);
  child.stderr.setEncoding('utf8').on('data', keep);
  const exited = once(child, 'exit');

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  t.teardown(stop);

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the server exited before it was up; output:\n${text}`);
    }
    if (Date.now() > deadline) throw new Error(`the server was not up within a minute; output:\n${text}`);
    try {
      const { statusCode, body } = await request(`${url}/health`);
      await body.dump();
      if (statusCode === 200) break;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  return { url, pid: child.pid!, output: () => text, stop };
}

/** An access token the servers started with `JWT_SECRET=secret` accept, signed as the app signs its own. */
export async function accessToken(role: string, secret = TEST_JWT_SECRET): Promise<string> {
  const signer = Fastify();
  await signer.register(fastifyJwt, { secret, sign: { iss: 'marquee', aud: 'marquee', expiresIn: 3600 } });
  await signer.ready();
  const token = signAccessToken(signer, { id: 1, username: `${role}-user`, role });
  await signer.close();
  return token;
}
