import { createHmac, createSign, type KeyObject, randomBytes, scryptSync } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Test } from 'tap';
import type { Env } from '../../src/config/index.ts';
import { unwrap } from '../../sdk/src/index.ts';
import { buildTestApp, type TestApp } from '../helpers/app.ts';
import { client } from '../helpers/client.ts';

/** The app with a rate limit high enough for a file that logs in many times (the limit has its own test). */
export function authTestApp(t: Test, env: Env = {}): Promise<TestApp> {
  return buildTestApp(t, { RATE_LIMIT_AUTH_MAX: '10000', ...env });
}

/** Registers through the typed client; anything but 201 throws with the status and message. */
export function register(app: FastifyInstance, username: string, password = 'correct-horse-battery') {
  return unwrap(client(app).POST('/register/', { body: { username, password } }));
}

/** Logs in through the typed client; anything but 200 throws with the status and message. */
export function login(app: FastifyInstance, username: string, password = 'correct-horse-battery') {
  return unwrap(client(app).POST('/api/auth/token/', { body: { username, password } }));
}

/** A stored hash of the format before argon2id (`scrypt$N$r$p$salt$hash`, base64url), as its users still have. */
export function scryptHash(password: string, N = 2 ** 15, r = 8, p = 1): string {
  const salt = randomBytes(16);
  const key = scryptSync(password.normalize('NFC'), salt, 32, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
  return ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWT built by hand, so tests can make the kinds a library would refuse to make (alg none, forged keys). */
export function jwt(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key?: KeyObject | string,
): string {
  const input = `${b64(header)}.${b64(payload)}`;
  if (header.alg === 'none' || key === undefined) return `${input}.`;
  if (header.alg === 'HS256')
    return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
  const signature = createSign('RSA-SHA256')
    .update(input)
    .sign(key as KeyObject);
  return `${input}.${signature.toString('base64url')}`;
}

export function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
}

export const now = () => Math.floor(Date.now() / 1000);
