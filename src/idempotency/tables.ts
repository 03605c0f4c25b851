import type { ColumnType } from 'kysely';

export interface IdempotencyKeysTable {
  user_id: number;
  operation: string;
  key: string;
  request_hash: string;
  status_code: number | null;
  response_body: string | null;
  /** JSON object of the headers a replay repeats. */
  response_headers: string | null;
  claimed_at: ColumnType<Date, never, Date>;
  expires_at: Date;
}

export interface IdempotencyTables {
  idempotency_keys: IdempotencyKeysTable;
}
