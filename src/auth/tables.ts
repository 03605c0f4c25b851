import type { ColumnType, Generated } from 'kysely';
import type { DbTimestamp, Serial } from '../db/types.ts';
import type { Role } from './permissions.ts';

export interface UsersTable {
  id: Serial;
  username: string;
  email: string | null;
  password_hash: string;
  first_name: Generated<string>;
  last_name: Generated<string>;
  role: Generated<Role>;
  active: Generated<boolean>;
  /** Access tokens signed with an older generation (claim `gen`) are refused. */
  token_generation: Generated<number>;
  created_at: Generated<Date>;
  updated_at: ColumnType<Date, never, Date | undefined>;
}

export interface RefreshTokensTable {
  id: Serial;
  user_id: number;
  family_id: string;
  token_hash: string;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
  created_at: DbTimestamp;
}

/** Append-only (a trigger refuses changes except the retention purge); no secret is ever stored. */
export interface AuditEventsTable {
  id: ColumnType<number, never, never>;
  at: DbTimestamp;
  action: string;
  actor_id: number | null;
  actor: string | null;
  target_id: number | null;
  target: string | null;
  request_id: string | null;
  address: string | null;
  before: ColumnType<Record<string, unknown> | null, string | null, never>;
  after: ColumnType<Record<string, unknown> | null, string | null, never>;
}

export interface AuthTables {
  users: UsersTable;
  refresh_tokens: RefreshTokensTable;
  audit_events: AuditEventsTable;
}

export type { DbTimestamp };
