import { ExponentialBackoff, handleWhen, retry, TaskCancelledError, timeout, TimeoutStrategy, wrap } from 'cockatiel';
import pg from 'pg';
import { acquiring, isDatabaseUnavailable, isRefusedByConfiguration } from '../errors/unavailable.ts';

const ATTEMPT_TIMEOUT_MS = 5000;

const reasonOf = (error: unknown) => {
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
  return cause instanceof Error ? cause.message : String(cause);
};

async function attempt(connectionString: string): Promise<void> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: ATTEMPT_TIMEOUT_MS });
  // A connection that fails late reports through 'error' as well as the rejected promise.
  client.on('error', () => {});
  try {
    await acquiring(() => client.connect());
    await client.query('select 1');
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Resolves once PostgreSQL accepts a connection and answers a query; retries what src/errors/unavailable.ts
 * calls unavailable, with growing pauses, until `timeoutMs` has passed, then rejects with the last reason.
 * Containers and pods often start before their database. A refused role, password or database name is reported
 * at once: a person is starting the service and should read the typo now, not in a minute.
 */
export async function waitForDatabase(
  connectionString: string,
  timeoutMs: number,
  onRetry: (message: string) => void,
): Promise<void> {
  let attempts = 0;
  let lastError: unknown;
  const retries = retry(
    handleWhen((error) => isDatabaseUnavailable(error) && !isRefusedByConfiguration(error)),
    { maxAttempts: Number.MAX_SAFE_INTEGER, backoff: new ExponentialBackoff({ initialDelay: 250, maxDelay: 5000 }) },
  );
  retries.onRetry((event) => {
    if (!('error' in event)) return;
    lastError = event.error;
    const reason = reasonOf(event.error);
    onRetry(`database not reachable yet (attempt ${attempts}): ${reason}; retrying in ${event.delay} ms`);
  });
  // The deadline cuts a pause or an attempt short: start-up never waits longer than it was told.
  const policy = wrap(timeout(timeoutMs, TimeoutStrategy.Aggressive), retries);
  try {
    await policy.execute(() => {
      attempts += 1;
      return attempt(connectionString);
    });
  } catch (error) {
    if (error instanceof TaskCancelledError) {
      const reason = lastError === undefined ? 'no answer yet' : reasonOf(lastError);
      throw new Error(`database not reachable after ${attempts} attempts in ${timeoutMs} ms: ${reason}`, {
        cause: lastError,
      });
    }
    if (isDatabaseUnavailable(error) && !isRefusedByConfiguration(error)) throw error;
    throw new Error(`database refused the connection: ${reasonOf(error)}`, { cause: error });
  }
}
