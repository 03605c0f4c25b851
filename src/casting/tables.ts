import type { ColumnType, Generated } from 'kysely';
import type { Serial } from '../db/types.ts';

/** The check constraint on actors.gender keeps the column to these values. */
export type Gender = 'M' | 'F' | 'X';

export interface ActorsTable {
  id: Serial;
  name: string;
  age: number;
  gender: Gender;
  created_at: Generated<Date>;
  updated_at: ColumnType<Date, never, Date | undefined>;
}

export interface MoviesTable {
  id: Serial;
  title: string;
  /** 'YYYY-MM-DD' both ways: the DATE parser is configured to keep the text (src/db/index.ts). */
  release_date: string;
  created_at: Generated<Date>;
  updated_at: ColumnType<Date, never, Date | undefined>;
}

export interface MovieActorsTable {
  movie_id: number;
  actor_id: number;
}

export interface CastingTables {
  actors: ActorsTable;
  movies: MoviesTable;
  movie_actors: MovieActorsTable;
}
