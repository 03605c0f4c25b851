import type { ColumnType, Generated } from 'kysely';
import type { DbTimestamp, Serial } from '../db/types.ts';

export interface UsersTable {
  id: Serial;
  username: string;
  email: string | null;
  password_hash: string;
  first_name: Generated<string>;
  last_name: Generated<string>;
  role: Generated<string>;
  created_at: Generated<Date>;
  updated_at: ColumnType<Date, never, Date | undefined>;
}

export interface AuthTables {
  users: UsersTable;
}

export type { DbTimestamp };
