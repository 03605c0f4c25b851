import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

const ATTEMPT_TIMEOUT_MS = 5000;
const MAX_DELAY_MS = 5000;

/** Errors that go away by waiting: the server is not up, not reachable, or still starting. */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  // A container's database host name exists only once that container runs.
  'ENOTFOUND',
  'EAI_AGAIN',
  // cannot_connect_now: the database system is starting up or shutting down.
  '57P03',
  // too_many_connections: others may disconnect.
  '53300',
]);

/** pg reports its own connection timeout as a plain Error with one of these messages. */
const TIMEOUT_MESSAGE = /timeout|terminated unexpectedly/i;

/** Whether waiting might help; an unknown database, role or password never starts working by itself. */
export function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return TRANSIENT_CODES.has(code);
  return error instanceof Error && TIMEOUT_MESSAGE.test(error.message);
}

/**
 * Resolves once PostgreSQL accepts a connection and answers a query; retries refused and timed-out connections
 * with growing pauses until `timeoutMs` has passed, then rejects with the last error. Containers and pods often
 * start before their database. Anything else (3D000 unknown database, 28P01/28000 authentication) rejects at once.
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
    let failure: unknown;
    try {
      await client.connect();
      await client.query('select 1');
      return;
    } catch (error) {
      failure = error;
    } finally {
      await client.end().catch(() => {});
    }
    const reason = failure instanceof Error ? failure.message : String(failure);
    if (!isTransient(failure)) throw new Error(`database refused the connection: ${reason}`, { cause: failure });
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw new Error(`database not reachable after ${attempt} attempts in ${timeoutMs} ms: ${reason}`, {
        cause: failure,
      });
    }
    const pause = Math.min(delay, remaining);
    onRetry(`database not reachable yet (attempt ${attempt}): ${reason}; retrying in ${pause} ms`);
    await sleep(pause);
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  }
}
