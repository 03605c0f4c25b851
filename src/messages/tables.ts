import type { ColumnType, Generated } from 'kysely';
import type { Serial } from '../db/types.ts';

/** Written on insert at most (imports, tests); afterwards only the database changes it. */
type InsertOnlyTimestamp = ColumnType<Date, Date | undefined, never>;

export interface MessagesTable {
  id: Serial;
  author_id: number;
  content: string;
  views: Generated<number>;
  created_at: InsertOnlyTimestamp;
  /** Set by the `messages_set_updated_at` trigger whenever `content` is written. */
  updated_at: InsertOnlyTimestamp;
}

export interface MessageTables {
  messages: MessagesTable;
}
