// The area's tables are added with its migration.
export type CollectionTables = Record<never, never>;
