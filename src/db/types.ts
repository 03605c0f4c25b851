import type { ColumnType, Generated } from 'kysely';
import type { AuthTables } from '../auth/tables.ts';
import type { CastingTables } from '../casting/tables.ts';
import type { CollectionTables } from '../collections/tables.ts';
import type { IdempotencyTables } from '../idempotency/tables.ts';
import type { MessageTables } from '../messages/tables.ts';

/** Timestamps the database sets: read as Date, never written by the app. */
export type DbTimestamp = ColumnType<Date, never, never>;
export type Serial = Generated<number>;

export type DB = AuthTables & CastingTables & CollectionTables & IdempotencyTables & MessageTables;
