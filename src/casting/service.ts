import { checkPrecondition, type Precondition } from '../conditional/tags.ts';
import type { Database } from '../db/index.ts';
import { AppError, badRequest, notFound } from '../errors/index.ts';
import type { Gender } from './tables.ts';
import {
  type ActorDetail,
  countActors,
  countMovies,
  deleteActor as deleteActorRow,
  deleteMovie as deleteMovieRow,
  findActorDetail,
  findMovieDetail,
  insertActor,
  insertMovie,
  listActors as listActorRows,
  listMovies as listMovieRows,
  lockRows,
  type MovieDetail,
  movieExists,
  movieIdsOfActor,
  moviesOnlyWithActor,
  type Page,
  setActorsOfMovie,
  setMoviesOfActor,
  updateActor as updateActorRow,
  updateMovie as updateMovieRow,
} from './queries.ts';

// Lock order, the same in every transaction so that none waits on another in a cycle: actors before movies,
// each by ascending id. Anything that removes a movie's link to an actor holds that movie FOR UPDATE; anything
// that adds a link holds the actor and movie at least FOR KEY SHARE (the foreign key takes that too), which
// conflicts with the FOR UPDATE of an actor's deletion.

/** Ids as the client sent them under `field` (merged, without duplicates, ascending). */
export interface IdList {
  ids: number[];
  field: string;
}

const missingFrom = (wanted: readonly number[], found: readonly number[]) =>
  wanted.filter((id) => !found.includes(id));

function checkAllExist(kind: 'actor' | 'movie', list: IdList, found: readonly number[]): void {
  const unknown = missingFrom(list.ids, found);
  if (unknown.length === 0) return;
  throw new AppError('unknown_reference', `unknown ${kind} ids: ${unknown.join(', ')}`, {
    details: unknown.map((id) => ({ field: list.field, message: `no ${kind} with id ${id}` })),
  });
}

function checkCastNotEmpty(actors: IdList): void {
  if (actors.ids.length > 0) return;
  throw new AppError('movie_needs_actor', 'a movie needs at least one actor', {
    details: [{ field: actors.field, message: 'must not be empty' }],
  });
}

/** A movie keeps at least one actor: refuses when taking `actorId` away would leave any of `movieIds` bare. */
async function checkNoMovieOrphaned(db: Database, actorId: number, movieIds: readonly number[]) {
  const orphans = await moviesOnlyWithActor(db, movieIds, actorId);
  if (orphans.length === 0) return;
  throw new AppError(
    'last_actor_of_movie',
    `actor ${actorId} is the only actor of: ${orphans.map((m) => `${m.title} (${m.id})`).join(', ')}`,
    { details: orphans.map((m) => ({ field: 'movies_id', message: `movie ${m.id} would have no actors` })) },
  );
}

const found = <T>(kind: 'actor' | 'movie', id: number, row: T | undefined): T => {
  if (row === undefined) throw notFound(`${kind} ${id} not found`);
  return row;
};

/** Locks one actor or movie against any change until commit; not_found when there is none. */
async function lockExisting(db: Database, kind: 'actor' | 'movie', id: number): Promise<void> {
  found(kind, id, (await lockRows(db, kind === 'actor' ? 'actors' : 'movies', [id], 'update'))[0]);
}

/** The actor or movie as it is once locked against any change; not_found when there is none. */
async function lockAndRead<T>(
  db: Database,
  kind: 'actor' | 'movie',
  id: number,
  read: (db: Database, id: number) => Promise<T | undefined>,
): Promise<T> {
  await lockExisting(db, kind, id);
  return found(kind, id, await read(db, id));
}

/** Locks the actor or movie; with an If-Match, also checks the tag of the row as locked. */
async function lockChecked<T>(
  db: Database,
  kind: 'actor' | 'movie',
  id: number,
  read: (db: Database, id: number) => Promise<T | undefined>,
  precondition: Precondition | undefined,
): Promise<void> {
  if (precondition === undefined) return lockExisting(db, kind, id);
  checkPrecondition(precondition, await lockAndRead(db, kind, id, read));
}

/**
 * One snapshot for the count and the page; a page past the end is not asked for (it could overflow OFFSET).
 * `items` holds one row more than the page when another page follows.
 */
async function pageWithTotal<T>(
  db: Database,
  page: Page,
  count: (db: Database) => Promise<number>,
  list: (db: Database, page: Page) => Promise<T[]>,
): Promise<{ items: T[]; total: number }> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const total = await count(trx);
      return { total, items: page.offset < total ? await list(trx, { ...page, limit: page.limit + 1 }) : [] };
    });
}

export const listActors = (db: Database, page: Page) => pageWithTotal(db, page, countActors, listActorRows);
export const listMovies = (db: Database, page: Page) => pageWithTotal(db, page, countMovies, listMovieRows);

export async function getActor(db: Database, id: number): Promise<ActorDetail> {
  return found('actor', id, await findActorDetail(db, id));
}

export async function getMovie(db: Database, id: number): Promise<MovieDetail> {
  return found('movie', id, await findMovieDetail(db, id));
}

export interface ActorFields {
  name: string;
  age: number;
  gender: Gender;
}

export async function createActor(db: Database, actor: ActorFields, movies?: IdList): Promise<ActorDetail> {
  return db.transaction().execute(async (trx) => {
    if (movies) checkAllExist('movie', movies, await lockRows(trx, 'movies', movies.ids, 'key share'));
    const id = await insertActor(trx, actor);
    if (movies) await setMoviesOfActor(trx, id, movies.ids);
    return found('actor', id, await findActorDetail(trx, id));
  });
}

export async function updateActor(
  db: Database,
  id: number,
  changes: Partial<ActorFields>,
  movies?: IdList,
  precondition?: Precondition,
): Promise<ActorDetail> {
  return db.transaction().execute(async (trx) => {
    await lockChecked(trx, 'actor', id, findActorDetail, precondition);
    if (movies) {
      // The actor's lock keeps anyone from adding it to a movie meanwhile; the movies' locks keep anyone
      // else from taking their other actors away until this commits.
      const current = await movieIdsOfActor(trx, id);
      const touched = [...new Set([...current, ...movies.ids])].sort((a, b) => a - b);
      checkAllExist('movie', movies, await lockRows(trx, 'movies', touched, 'update'));
      await checkNoMovieOrphaned(trx, id, missingFrom(current, movies.ids));
      await setMoviesOfActor(trx, id, movies.ids);
    }
    if (Object.keys(changes).length > 0) await updateActorRow(trx, id, changes);
    return found('actor', id, await findActorDetail(trx, id));
  });
}

export async function deleteActor(db: Database, id: number, precondition?: Precondition): Promise<ActorDetail> {
  return db.transaction().execute(async (trx) => {
    const before = await lockAndRead(trx, 'actor', id, findActorDetail);
    checkPrecondition(precondition, before);
    await lockRows(trx, 'movies', before.movies_id, 'update');
    await checkNoMovieOrphaned(trx, id, before.movies_id);
    await deleteActorRow(trx, id);
    return before;
  });
}

export interface MovieFields {
  title: string;
  release_date: string;
}

export async function createMovie(db: Database, movie: MovieFields, actors: IdList): Promise<MovieDetail> {
  checkCastNotEmpty(actors);
  return db.transaction().execute(async (trx) => {
    checkAllExist('actor', actors, await lockRows(trx, 'actors', actors.ids, 'key share'));
    const id = await insertMovie(trx, movie);
    await setActorsOfMovie(trx, id, actors.ids);
    return found('movie', id, await findMovieDetail(trx, id));
  });
}

export async function updateMovie(
  db: Database,
  id: number,
  changes: Partial<MovieFields>,
  actors?: IdList,
  precondition?: Precondition,
): Promise<MovieDetail> {
  if (actors) checkCastNotEmpty(actors);
  return db.transaction().execute(async (trx) => {
    if (!(await movieExists(trx, id))) throw notFound(`movie ${id} not found`);
    if (actors) checkAllExist('actor', actors, await lockRows(trx, 'actors', actors.ids, 'key share'));
    await lockChecked(trx, 'movie', id, findMovieDetail, precondition);
    if (actors) await setActorsOfMovie(trx, id, actors.ids);
    if (Object.keys(changes).length > 0) await updateMovieRow(trx, id, changes);
    return found('movie', id, await findMovieDetail(trx, id));
  });
}

export async function deleteMovie(db: Database, id: number, precondition?: Precondition): Promise<MovieDetail> {
  return db.transaction().execute(async (trx) => {
    const before = await lockAndRead(trx, 'movie', id, findMovieDetail);
    checkPrecondition(precondition, before);
    await deleteMovieRow(trx, id);
    return before;
  });
}

/** An id list sent under its name and/or its alias: merged, duplicates dropped, ascending. */
export function idList(lists: Record<string, number[] | undefined>): IdList | undefined {
  const sent = Object.entries(lists).filter((entry): entry is [string, number[]] => entry[1] !== undefined);
  const first = sent[0];
  if (!first) return undefined;
  const ids = [...new Set(sent.flatMap(([, list]) => list))].sort((a, b) => a - b);
  return { ids, field: first[0] };
}

/** 'YYYY-MM-DD' from the spec's `calendar-date` or `compact-date` (which Ajv has checked name a real day). */
const isoDate = (value: string) =>
  /^\d{8}$/.test(value)
    ? `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6)}`
    : value.replace(/^(\d{2})-(\d{2})-(\d{4})$/, '$3-$2-$1');

/**
 * The release date of a movie body, from `release_date` or the deprecated `date_release`: when both are sent they
 * must name the same day (400 otherwise).
 */
export function releaseDate(body: { release_date?: string; date_release?: string }): string | undefined {
  const modern = body.release_date === undefined ? undefined : isoDate(body.release_date);
  const compact = body.date_release === undefined ? undefined : isoDate(body.date_release);
  if (modern && compact && modern !== compact) {
    throw badRequest('release_date and date_release name different days', [
      { field: 'date_release', message: `${body.date_release} is not ${body.release_date}` },
    ]);
  }
  return modern ?? compact;
}
