import { createHmac, createSign, type KeyObject } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Test } from 'tap';
import type { Env } from '../../src/config/index.ts';
import { buildTestApp, inject, type TestApp } from '../helpers/app.ts';

/** The app with a rate limit high enough for a file that logs in many times (the limit has its own test). */
export function authTestApp(t: Test, env: Env = {}): Promise<TestApp> {
  return buildTestApp(t, { RATE_LIMIT_AUTH_MAX: '10000', ...env });
}

export async function register(
  app: FastifyInstance,
  username: string,
  password = 'correct-horse-battery',
): Promise<{ access_token: string; refresh_token: string }> {
  const res = await inject(app, { method: 'POST', url: '/register/', payload: { username, password } });
  if (res.statusCode !== 201) throw new Error(`registering ${username}: ${res.statusCode} ${res.body}`);
  return res.json();
}

export async function login(
  app: FastifyInstance,
  username: string,
  password = 'correct-horse-battery',
): Promise<{ access: string; refresh: string }> {
  const res = await inject(app, { method: 'POST', url: '/api/auth/token/', payload: { username, password } });
  if (res.statusCode !== 200) throw new Error(`logging in ${username}: ${res.statusCode} ${res.body}`);
  return res.json();
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
