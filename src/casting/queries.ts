import { sql } from 'kysely';
import { jsonArrayFrom } from 'kysely/helpers/postgres';
import type { components } from '../../generated/api.d.ts';
import { compiledOnce } from '../db/compiled.ts';
import type { Database } from '../db/index.ts';
import { exactCount } from '../db/row-counts.ts';
import type { Gender } from './tables.ts';

export type Actor = components['schemas']['Actor'];
export type ActorDetail = components['schemas']['ActorDetail'];
export type Movie = components['schemas']['Movie'];
export type MovieDetail = components['schemas']['MovieDetail'];

/** By offset, or after an id (keyset: the same cost at any depth). */
export interface Page {
  limit: number;
  offset: number;
  afterId?: number;
}

/** The all-stars seed's YYYYMMDD spelling, still sent alongside release_date. */
const compact = (isoDate: string) => isoDate.replaceAll('-', '');

function withCompactDate<M extends { release_date: string }>(row: M): M & { date_release: string } {
  return { ...row, date_release: compact(row.release_date) };
}

export function countActors(db: Database): Promise<number> {
  return exactCount(db, 'actors');
}

export async function listActors(db: Database, page: Page): Promise<Actor[]> {
  return db
    .selectFrom('actors')
    .select((eb) => [
      'actors.id',
      'actors.name',
      'actors.age',
      'actors.gender',
      sql<number[]>`array(${eb
        .selectFrom('movie_actors')
        .select('movie_actors.movie_id')
        .whereRef('movie_actors.actor_id', '=', 'actors.id')
        .orderBy('movie_actors.movie_id')})`.as('movies_id'),
    ])
    // Ids start at 1, so without a cursor this keeps every row.
    .where('actors.id', '>', page.afterId ?? 0)
    .orderBy('actors.id')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
}

// GET /actors/{id}, the hottest read: compiled once (src/db/compiled.ts).
const actorDetail = compiledOnce(
  (db, id: number) =>
    db
      .selectFrom('actors')
      .where('actors.id', '=', id)
      .select((eb) => [
        'actors.id',
        'actors.name',
        'actors.age',
        'actors.gender',
        jsonArrayFrom(
          eb
            .selectFrom('movies')
            .innerJoin('movie_actors', 'movie_actors.movie_id', 'movies.id')
            .whereRef('movie_actors.actor_id', '=', 'actors.id')
            .select(['movies.id', 'movies.title', 'movies.release_date'])
            .orderBy('movies.id'),
        ).as('movies'),
      ]),
  [1],
);

export async function findActorDetail(db: Database, id: number): Promise<ActorDetail | undefined> {
  const [row] = await actorDetail(db, id);
  return row && { ...row, movies_id: row.movies.map((movie) => movie.id) };
}

export function countMovies(db: Database): Promise<number> {
  return exactCount(db, 'movies');
}

export async function listMovies(db: Database, page: Page): Promise<Movie[]> {
  const rows = await db
    .selectFrom('movies')
    .select((eb) => [
      'movies.id',
      'movies.title',
      'movies.release_date',
      sql<number[]>`array(${eb
        .selectFrom('movie_actors')
        .select('movie_actors.actor_id')
        .whereRef('movie_actors.movie_id', '=', 'movies.id')
        .orderBy('movie_actors.actor_id')})`.as('actors_id'),
    ])
    // Ids start at 1, so without a cursor this keeps every row.
    .where('movies.id', '>', page.afterId ?? 0)
    .orderBy('movies.id')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  return rows.map(withCompactDate);
}

// GET /movies/{id}: compiled once, like the actor's.
const movieDetail = compiledOnce(
  (db, id: number) =>
    db
      .selectFrom('movies')
      .where('movies.id', '=', id)
      .select((eb) => [
        'movies.id',
        'movies.title',
        'movies.release_date',
        jsonArrayFrom(
          eb
            .selectFrom('actors')
            .innerJoin('movie_actors', 'movie_actors.actor_id', 'actors.id')
            .whereRef('movie_actors.movie_id', '=', 'movies.id')
            .select(['actors.id', 'actors.name', 'actors.age', 'actors.gender'])
            .orderBy('actors.id'),
        ).as('actors'),
      ]),
  [1],
);

export async function findMovieDetail(db: Database, id: number): Promise<MovieDetail | undefined> {
  const [row] = await movieDetail(db, id);
  return row && withCompactDate({ ...row, actors_id: row.actors.map((actor) => actor.id) });
}

export async function movieExists(db: Database, id: number): Promise<boolean> {
  const row = await db.selectFrom('movies').select('id').where('id', '=', id).executeTakeFirst();
  return row !== undefined;
}

export async function movieIdsOfActor(db: Database, actorId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('movie_actors')
    .select('movie_id')
    .where('actor_id', '=', actorId)
    .orderBy('movie_id')
    .execute();
  return rows.map((row) => row.movie_id);
}

/**
 * Locks the existing rows among `ids`, in id order, and returns their ids. `update` holds them against any
 * change; `key share` only against deletion (what adding a link needs).
 */
export async function lockRows(
  db: Database,
  table: 'actors' | 'movies',
  ids: readonly number[],
  strength: 'update' | 'key share',
): Promise<number[]> {
  if (ids.length === 0) return [];
  const query = db.selectFrom(table).select('id').where('id', 'in', ids).orderBy('id');
  const rows = await (strength === 'update' ? query.forUpdate() : query.forKeyShare()).execute();
  return rows.map((row) => row.id);
}

/** Of the given movies, those with no actor besides `actorId`; read with the movies locked, so the answer holds. */
export async function moviesOnlyWithActor(
  db: Database,
  movieIds: readonly number[],
  actorId: number,
): Promise<{ id: number; title: string }[]> {
  if (movieIds.length === 0) return [];
  return db
    .selectFrom('movies')
    .select(['movies.id', 'movies.title'])
    .where('movies.id', 'in', movieIds)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('movie_actors')
            .select('movie_actors.actor_id')
            .whereRef('movie_actors.movie_id', '=', 'movies.id')
            .where('movie_actors.actor_id', '<>', actorId),
        ),
      ),
    )
    .orderBy('movies.id')
    .execute();
}

export async function insertActor(
  db: Database,
  actor: { name: string; age: number; gender: Gender },
): Promise<number> {
  const row = await db.insertInto('actors').values(actor).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

export async function updateActor(
  db: Database,
  id: number,
  changes: { name?: string; age?: number; gender?: Gender },
): Promise<void> {
  await db
    .updateTable('actors')
    .set({ ...changes, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .execute();
}

export async function deleteActor(db: Database, id: number): Promise<void> {
  await db.deleteFrom('actors').where('id', '=', id).execute();
}

export async function insertMovie(db: Database, movie: { title: string; release_date: string }): Promise<number> {
  const row = await db.insertInto('movies').values(movie).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

export async function updateMovie(
  db: Database,
  id: number,
  changes: { title?: string; release_date?: string },
): Promise<void> {
  await db
    .updateTable('movies')
    .set({ ...changes, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .execute();
}

export async function deleteMovie(db: Database, id: number): Promise<void> {
  await db.deleteFrom('movies').where('id', '=', id).execute();
}

/** Makes `movieIds` exactly the actor's movies. */
export async function setMoviesOfActor(db: Database, actorId: number, movieIds: readonly number[]): Promise<void> {
  let removal = db.deleteFrom('movie_actors').where('actor_id', '=', actorId);
  if (movieIds.length > 0) removal = removal.where('movie_id', 'not in', movieIds);
  await removal.execute();
  if (movieIds.length === 0) return;
  await db
    .insertInto('movie_actors')
    .values(movieIds.map((movieId) => ({ movie_id: movieId, actor_id: actorId })))
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** Makes `actorIds` (never empty: a movie always has an actor) exactly the movie's cast. */
export async function setActorsOfMovie(db: Database, movieId: number, actorIds: readonly number[]): Promise<void> {
  await db
    .deleteFrom('movie_actors')
    .where('movie_id', '=', movieId)
    .where('actor_id', 'not in', actorIds)
    .execute();
  await db
    .insertInto('movie_actors')
    .values(actorIds.map((actorId) => ({ movie_id: movieId, actor_id: actorId })))
    .onConflict((oc) => oc.doNothing())
    .execute();
}
