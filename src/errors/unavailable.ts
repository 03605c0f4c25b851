/**
 * Whether a database failure means "unavailable, retry later" (503) rather than a broken request (500), decided by
 * when it happened, not by a list of reasons: anything that fails while a connection is being opened (refused,
 * slots used up, connections not allowed, a dropped database, a changed password, a pool timeout, a PGlite that
 * cannot open), and anything that ends the session under a running query.
 */

/** Seconds a client is told to wait when the database cannot be reached. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** A connection could not be had; `cause` says why. */
export class DatabaseUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`database unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'DatabaseUnavailableError';
  }
}

/** Runs the opening of a connection: whatever it throws becomes a DatabaseUnavailableError. */
export async function acquiring<T>(open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (error) {
    throw error instanceof DatabaseUnavailableError ? error : new DatabaseUnavailableError(error);
  }
}

const lost = new WeakSet<object>();

/**
 * Records the error a connection died of (pg's client 'error' event). pg fails the connection's running queries
 * with that same error object, after the event, so the request that ran one is answered as unavailable.
 */
export function markConnectionLost(error: unknown): void {
  if (error !== null && typeof error === 'object') lost.add(error);
}

export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  if (error === null || typeof error !== 'object') return false;
  if (lost.has(error)) return true;
  // PostgreSQL ends the session after a FATAL or PANIC error (shutdown, terminated backend): the query never ran.
  const { severity } = error as { severity?: unknown };
  return severity === 'FATAL' || severity === 'PANIC';
}

/**
 * Whether PostgreSQL refused who is asking or for what (SQLSTATE classes 28, invalid authorization, and 3D,
 * unknown database): unavailable to a request all the same, but a start-up reports it at once instead of waiting.
 */
export function isRefusedByConfiguration(error: unknown): boolean {
  const cause = error instanceof DatabaseUnavailableError ? error.cause : error;
  const code = (cause as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(28|3D)...$/.test(code);
}
