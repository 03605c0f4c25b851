import {
  FAKE_DEFAULTS,
  type FakeUpstream,
  type FakeUpstreamOptions,
  startFakeUpstream,
} from '../../src/catalog/sample/upstream.ts';
import type { Test } from 'tap';
import type { Env } from '../../src/config/index.ts';
import { buildTestApp, tokenFor } from '../helpers/app.ts';
import { client } from '../helpers/client.ts';
import type { TestDatabase } from '../helpers/database.ts';

export { FAKE_DEFAULTS };

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** A fake catalogue on 127.0.0.1, port 0, stopped when the test ends. */
export async function fakeUpstream(t: Teardown, options: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const fake = await startFakeUpstream(options);
  t.teardown(() => fake.close());
  return fake;
}

/**
 * Settings small enough to keep the suite fast (backoff is a twentieth of the attempt timeout), yet with an
 * attempt timeout that a busy CI machine answering a healthy fake never hits; tests about timeouts and the
 * breaker set their own.
 */
export function catalogEnv(fake: FakeUpstream, overrides: Env = {}): Env {
  return {
    MOVIE_API_URL: fake.url,
    MOVIE_API_USERNAME: FAKE_DEFAULTS.username,
    MOVIE_API_PASSWORD: FAKE_DEFAULTS.password,
    CATALOG_ATTEMPT_TIMEOUT_MS: '1000',
    CATALOG_MAX_ATTEMPTS: '4',
    CATALOG_DEADLINE_MS: '8000',
    CATALOG_BREAKER_THRESHOLD: '5',
    CATALOG_BREAKER_HALF_OPEN_MS: '1000',
    ...overrides,
  };
}

/**
 * A fake catalogue with `options`, an app over `database` that calls it with `env`, and a member's token and
 * typed client.
 */
export async function catalogApp(t: Test, database: TestDatabase, options: FakeUpstreamOptions = {}, env: Env = {}) {
  const fake = await fakeUpstream(t, options);
  const { app } = await buildTestApp(t, catalogEnv(fake, env), database);
  const token = await tokenFor(app, 'member');
  return { fake, app, token, member: client(app, token) };
}

/** The whole seconds of a Retry-After header; throws unless it is a positive integer. */
export function retryAfter(headers: Record<string, unknown>): number {
  const value = Number(headers['retry-after']);
  if (!Number.isInteger(value) || value < 1) throw new Error(`bad Retry-After: ${headers['retry-after']}`);
  return value;
}

export const expectedAuthorization = `Basic ${Buffer.from(
  `${FAKE_DEFAULTS.username}:${FAKE_DEFAULTS.password}`,
).toString('base64')}`;

/** How many requests the fake answered each way. */
export function outcomes(fake: FakeUpstream): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const request of fake.requests) counts[request.outcome] = (counts[request.outcome] ?? 0) + 1;
  return counts;
}
