import { sql } from 'kysely';
import type { Database } from '../db/index.ts';

export interface KeyScope {
  userId: number;
  operation: string;
  key: string;
}

export interface StoredKey {
  request_hash: string;
  status_code: number | null;
  response_body: string | null;
  response_headers: string | null;
}

/**
 * Claims the key for this request: inserts it, or takes over one that has expired or whose claim was
 * abandoned (unanswered for `abandonSeconds`). False when an earlier request holds it, in progress or answered.
 */
export async function claimKey(
  db: Database,
  scope: KeyScope,
  requestHash: string,
  times: { ttlSeconds: number; abandonSeconds: number },
): Promise<boolean> {
  const expiresAt = sql<Date>`now() + make_interval(secs => ${times.ttlSeconds})`;
  const row = await db
    .insertInto('idempotency_keys')
    .values({
      user_id: scope.userId,
      operation: scope.operation,
      key: scope.key,
      request_hash: requestHash,
      expires_at: expiresAt,
    })
    .onConflict((oc) =>
      oc
        .columns(['user_id', 'operation', 'key'])
        .doUpdateSet({
          request_hash: requestHash,
          status_code: null,
          response_body: null,
          response_headers: null,
          claimed_at: sql<Date>`now()`,
          expires_at: expiresAt,
        })
        .where((eb) =>
          eb.or([
            eb('idempotency_keys.expires_at', '<=', sql<Date>`now()`),
            eb.and([
              eb('idempotency_keys.status_code', 'is', null),
              eb('idempotency_keys.claimed_at', '<', sql<Date>`now() - make_interval(secs => ${times.abandonSeconds})`),
            ]),
          ]),
        ),
    )
    .returning('key')
    .executeTakeFirst();
  return row !== undefined;
}

export function findKey(db: Database, scope: KeyScope): Promise<StoredKey | undefined> {
  return db
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'status_code', 'response_body', 'response_headers'])
    .where('user_id', '=', scope.userId)
    .where('operation', '=', scope.operation)
    .where('key', '=', scope.key)
    .executeTakeFirst();
}

export async function completeKey(
  db: Database,
  scope: KeyScope,
  answer: { status: number; body: string; headers: Record<string, string> },
): Promise<void> {
  await db
    .updateTable('idempotency_keys')
    .set({ status_code: answer.status, response_body: answer.body, response_headers: JSON.stringify(answer.headers) })
    .where('user_id', '=', scope.userId)
    .where('operation', '=', scope.operation)
    .where('key', '=', scope.key)
    .execute();
}

/** Lets the key go, so that a request that failed may be retried with it. */
export async function releaseKey(db: Database, scope: KeyScope): Promise<void> {
  await db
    .deleteFrom('idempotency_keys')
    .where('user_id', '=', scope.userId)
    .where('operation', '=', scope.operation)
    .where('key', '=', scope.key)
    .where('status_code', 'is', null)
    .execute();
}

export async function purgeExpiredKeys(db: Database): Promise<number> {
  const result = await db.deleteFrom('idempotency_keys').where('expires_at', '<=', sql<Date>`now()`).executeTakeFirst();
  return Number(result.numDeletedRows);
}
