import { type DeleteResult, sql } from 'kysely';
import { jsonArrayFrom } from 'kysely/helpers/postgres';
import type { components } from '../../generated/api.d.ts';
import type { Database } from '../db/index.ts';

export type CollectionSummary = components['schemas']['CollectionSummary'];
export type CatalogMovie = components['schemas']['CatalogMovie'];
export type CatalogMovieInput = components['schemas']['CatalogMovieInput'];

export interface CollectionRow {
  uuid: string;
  title: string;
  description: string | null;
  movies: CatalogMovie[];
  created_at: Date;
  updated_at: Date;
}

export async function listCollections(db: Database, userId: number): Promise<CollectionSummary[]> {
  return db
    .selectFrom('collections')
    .where('user_id', '=', userId)
    .select(['id as uuid', 'title', 'description'])
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/**
 * The user's stored favourite genres and the version of what they depend on; `genres` is null after a change
 * cleared them (db/migrations/2026_11_30_130010_maintained_counts.ts), and there is no row before the first.
 */
export async function findStoredFavouriteGenres(
  db: Database,
  userId: number,
): Promise<{ version: string; genres: string | null } | undefined> {
  const { rows } = await sql<{ version: string; genres: string | null }>`
    select version, genres from favourite_genres where user_id = ${userId}`.execute(db);
  return rows[0];
}

/**
 * Stores computed favourite genres: over a cleared row only while it still has `version` (a change that
 * committed meanwhile leaves it cleared), or as the user's first row (only for an existing user: a token can
 * outlive its user).
 */
export async function storeFavouriteGenres(
  db: Database,
  userId: number,
  genres: string,
  version: string | undefined,
): Promise<void> {
  if (version !== undefined) {
    await sql`update favourite_genres set genres = ${genres}
      where user_id = ${userId} and version = ${version} and genres is null`.execute(db);
  } else {
    await sql`insert into favourite_genres (user_id, genres) select id, ${genres} from users where id = ${userId}
      on conflict (user_id) do nothing`.execute(db);
  }
}

/**
 * The user's top 3 genres, joined with ", ". Each distinct movie counts once per genre however many of the
 * user's collections hold it and however often its genre list repeats the genre. Genres are compared
 * lower-cased; the spelling shown is the one most of those movies use (ties: the first in code-point order).
 * Ordering and ties use the "C" collation so that both engines answer the same.
 */
export async function computeFavouriteGenres(db: Database, userId: number): Promise<string> {
  const { rows } = await sql<{ favourite_genres: string }>`
    with user_movies as (
      select distinct m.uuid, m.genres
      from collections c
      join collection_movies cm on cm.collection_id = c.id
      join catalog_movies m on m.uuid = cm.movie_uuid
      where c.user_id = ${userId} and m.genres is not null
    ),
    movie_genres as (
      select distinct um.uuid, btrim(g.name) as name
      from user_movies um
      cross join lateral unnest(string_to_array(um.genres, ',')) as g(name)
      where btrim(g.name) <> ''
    ),
    top_genres as (
      select lower(name) as key, count(distinct uuid) as movies
      from movie_genres
      group by lower(name)
      order by movies desc, lower(name) collate "C"
      limit 3
    ),
    spellings as (
      select distinct on (lower(name)) lower(name) as key, name
      from movie_genres
      group by name
      order by lower(name), count(*) desc, name collate "C"
    )
    select coalesce(string_agg(s.name, ', ' order by t.movies desc, t.key collate "C"), '') as favourite_genres
    from top_genres t
    join spellings s on s.key = t.key`.execute(db);
  return rows[0]?.favourite_genres ?? '';
}

export async function insertCollection(
  db: Database,
  values: { userId: number; title: string; description: string | null },
): Promise<string> {
  const row = await db
    .insertInto('collections')
    .values({ user_id: values.userId, title: values.title, description: values.description })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function findCollection(db: Database, id: string, userId: number): Promise<CollectionRow | undefined> {
  return db
    .selectFrom('collections as c')
    .where('c.id', '=', id)
    .where('c.user_id', '=', userId)
    .select((eb) => [
      'c.id as uuid',
      'c.title',
      'c.description',
      'c.created_at',
      'c.updated_at',
      jsonArrayFrom(
        eb
          .selectFrom('collection_movies as cm')
          .innerJoin('catalog_movies as m', 'm.uuid', 'cm.movie_uuid')
          .whereRef('cm.collection_id', '=', 'c.id')
          .select(['m.title', 'm.description', 'm.genres', 'm.uuid'])
          .orderBy('cm.position'),
      ).as('movies'),
    ])
    .executeTakeFirst();
}

/** Locks the user's collection against any change until commit; false when it is not the user's. */
export async function lockCollection(db: Database, id: string, userId: number): Promise<boolean> {
  const row = await db
    .selectFrom('collections')
    .select('id')
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .forUpdate()
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Applies the changes given and marks the collection updated, which also locks its row until the
 * transaction ends, so concurrent edits of one collection's movie list queue up. False when the
 * collection is not the user's.
 */
export async function touchCollection(
  db: Database,
  id: string,
  userId: number,
  changes: { title?: string; description?: string | null } = {},
): Promise<boolean> {
  const result = await db
    .updateTable('collections')
    .set({ ...changes, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Runs a DELETE; true when it removed a row. */
async function deletedAny(statement: { executeTakeFirst(): Promise<DeleteResult> }): Promise<boolean> {
  return (await statement.executeTakeFirst()).numDeletedRows > 0n;
}

export function deleteCollection(db: Database, id: string, userId: number): Promise<boolean> {
  return deletedAny(db.deleteFrom('collections').where('id', '=', id).where('user_id', '=', userId));
}

/**
 * Stores the movies with the data just sent. Rows are written in uuid order so that two transactions
 * upserting overlapping lists lock them in the same order and cannot deadlock.
 */
export async function upsertCatalogMovies(db: Database, movies: readonly CatalogMovieInput[]): Promise<void> {
  if (movies.length === 0) return;
  const rows = [...movies]
    .sort((a, b) => (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0))
    .map((movie) => ({
      uuid: movie.uuid,
      title: movie.title,
      description: movie.description ?? null,
      genres: movie.genres ?? null,
    }));
  await db
    .insertInto('catalog_movies')
    .values(rows)
    .onConflict((oc) =>
      oc.column('uuid').doUpdateSet((eb) => ({
        title: eb.ref('excluded.title'),
        description: eb.ref('excluded.description'),
        genres: eb.ref('excluded.genres'),
        updated_at: sql<Date>`now()`,
      })),
    )
    .execute();
}

/** Makes the collection hold exactly these movies, in this order. */
export async function replaceCollectionMovies(
  db: Database,
  collectionId: string,
  movieUuids: readonly string[],
): Promise<void> {
  await db.deleteFrom('collection_movies').where('collection_id', '=', collectionId).execute();
  if (movieUuids.length === 0) return;
  await db
    .insertInto('collection_movies')
    .values(
      movieUuids.map((movieUuid, index) => ({
        collection_id: collectionId,
        movie_uuid: movieUuid,
        position: index + 1,
      })),
    )
    .execute();
}

/** Appends the movie unless the collection already holds it (then it keeps its place). */
export async function appendCollectionMovie(db: Database, collectionId: string, movieUuid: string): Promise<void> {
  await db
    .insertInto('collection_movies')
    .columns(['collection_id', 'movie_uuid', 'position'])
    .expression((eb) =>
      eb
        .selectFrom('collection_movies')
        .where('collection_id', '=', collectionId)
        .select([
          sql<string>`${collectionId}::uuid`.as('collection_id'),
          sql<string>`${movieUuid}::uuid`.as('movie_uuid'),
          sql<number>`coalesce(max(position), 0) + 1`.as('position'),
        ]),
    )
    .onConflict((oc) => oc.columns(['collection_id', 'movie_uuid']).doNothing())
    .execute();
}

export function removeCollectionMovie(db: Database, collectionId: string, movieUuid: string): Promise<boolean> {
  return deletedAny(
    db.deleteFrom('collection_movies').where('collection_id', '=', collectionId).where('movie_uuid', '=', movieUuid),
  );
}
