import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Test } from 'tap';
import { buildApp } from '../../src/app.ts';
import type { Role } from '../../src/auth/permissions.ts';
import { createTokenSigner } from '../../src/auth/signer.ts';
import { type Config, type Env, loadConfig } from '../../src/config/index.ts';
import type { Database } from '../../src/db/index.ts';
import { assertMatchesSpec } from './contract.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { TEST_JWT_SECRET } from './secret.ts';
import { createUser } from './users.ts';

export { TEST_JWT_SECRET };

export function testEnv(overrides: Env = {}): Env {
  return {
    NODE_ENV: 'test',
    JWT_SECRET: TEST_JWT_SECRET,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'marquee-test-')),
    LOG_LEVEL: 'silent',
    REDIS_URL: process.env.REDIS_URL,
    REDIS_KEY_PREFIX: `test:${randomUUID()}:`,
    // Port 9 (discard) refuses at once: no test reaches the real catalogue by accident.
    MOVIE_API_URL: 'http://127.0.0.1:9/',
    ...overrides,
  };
}

export interface TestApp {
  app: FastifyInstance;
  db: Database;
  database: TestDatabase;
  config: Config;
}

/** The app over this file's own database; closed in teardown. */
export async function buildTestApp(t: Test, env: Env = {}, database?: TestDatabase): Promise<TestApp> {
  const own = database ?? (await createTestDatabase(t));
  const { config } = loadConfig(testEnv(env));
  // On PGlite a NOTIFY reaches the app as the test's own write commits, so the user-state cache is in use and
  // every direct change to a user row must take effect at once. On PostgreSQL it would arrive a moment later:
  // tests there read per request, and test/auth/user-states.test.ts covers the cache.
  const notifications = own.engine === 'pglite' ? own.notifications : undefined;
  const app = await buildApp(config, { db: own.db, notifications, logger: false });
  t.teardown(() => app.close());
  return { app, db: own.db, database: own, config };
}

export type Response = LightMyRequestResponse & { json<T = any>(): T };

/** app.inject, with every response checked against openapi.yaml. */
export async function inject(
  app: FastifyInstance,
  options: InjectOptions & { token?: string },
): Promise<Response> {
  const { token, ...rest } = options;
  const headers = { ...(rest.headers ?? {}), ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const response = await app.inject({ ...rest, headers });
  assertMatchesSpec(String(rest.method ?? 'GET').toUpperCase(), String(rest.url ?? '/'), {
    statusCode: response.statusCode,
    headers: response.headers,
    body: response.body,
  });
  return response as Response;
}

/** An access token signed as the app signs them, whether or not user `id` exists (the app refuses it if not). */
export function signedToken(app: FastifyInstance, role: Role, id: number, username = `${role}-user`): string {
  return createTokenSigner(app.deps.config.jwt).access({ id, username, role });
}

/** An access token of a new user with this role: the app accepts only tokens of users that exist. */
export async function tokenFor(app: FastifyInstance, role: Role): Promise<string> {
  return (await createUser(app, app.deps.db, { role })).token;
}
