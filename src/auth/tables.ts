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

export interface AuthTables {
  users: UsersTable;
  refresh_tokens: RefreshTokensTable;
}

export type { DbTimestamp };
