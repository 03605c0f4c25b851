// The area's tables are added with its migration.
export type CastingTables = Record<never, never>;
