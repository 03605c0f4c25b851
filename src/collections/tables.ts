import type { ColumnType, Generated } from 'kysely';

/** Set by the database on insert; updates write `now()` in SQL, never a JS clock. */
type Timestamp = ColumnType<Date, never, Date>;

export interface CollectionsTable {
  id: Generated<string>;
  user_id: number;
  title: string;
  description: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Upstream movies as the clients sent them, keyed by the upstream uuid. */
export interface CatalogMoviesTable {
  uuid: string;
  title: string;
  description: string | null;
  genres: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface CollectionMoviesTable {
  collection_id: string;
  movie_uuid: string;
  position: number;
}

export interface CollectionTables {
  collections: CollectionsTable;
  catalog_movies: CatalogMoviesTable;
  collection_movies: CollectionMoviesTable;
}
