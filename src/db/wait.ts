import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

const ATTEMPT_TIMEOUT_MS = 5000;
const MAX_DELAY_MS = 5000;

/**
 * Resolves once PostgreSQL accepts a connection and answers a query; retries with growing pauses until
 * `timeoutMs` has passed, then rejects with the last error. Containers and pods often start before their database.
 */
export async function waitForDatabase(
  connectionString: string,
  timeoutMs: number,
  onRetry: (message: string) => void,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 250;
  for (let attempt = 1; ; attempt++) {
    const client = new pg.Client({ connectionString, connectionTimeoutMillis: ATTEMPT_TIMEOUT_MS });
    // A connection that fails late reports through 'error' as well as the rejected promise.
    client.on('error', () => {});
    let reason: string;
    try {
      await client.connect();
      await client.query('select 1');
      return;
    } catch (error) {
      reason = error instanceof Error ? error.message : String(error);
    } finally {
      await client.end().catch(() => {});
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw new Error(`database not reachable after ${attempt} attempts in ${timeoutMs} ms: ${reason}`);
    }
    const pause = Math.min(delay, remaining);
    onRetry(`database not reachable yet (attempt ${attempt}): ${reason}; retrying in ${pause} ms`);
    await sleep(pause);
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  }
}
