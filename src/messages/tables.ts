// The area's tables are added with its migration.
export type MessageTables = Record<never, never>;
