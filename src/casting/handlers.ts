import type { AppDeps } from '../deps.ts';
import { badRequest, conflict, type ErrorDetail, notFound, unprocessable } from '../errors/index.ts';
import type { HandlerGroup } from '../spec/handlers.ts';
import {
  countActors,
  countMovies,
  deleteActor,
  deleteMovie,
  findActorDetail,
  findMovieDetail,
  insertActor,
  insertMovie,
  listActors,
  listMovies,
  lockActor,
  lockMovies,
  movieExists,
  movieIdsOfActor,
  moviesOnlyWithActor,
  setActorsOfMovie,
  setMoviesOfActor,
  shareActors,
  shareMovies,
  updateActor,
  updateMovie,
} from './queries.ts';

type CastingOperation =
  | 'listActors'
  | 'createActor'
  | 'getActor'
  | 'getActorDetails'
  | 'updateActor'
  | 'deleteActor'
  | 'listMovies'
  | 'createMovie'
  | 'getMovie'
  | 'getMovieDetails'
  | 'updateMovie'
  | 'deleteMovie';

/** An id list sent under its name and/or its alias: merged, duplicates dropped, ascending. */
interface IdList {
  ids: number[];
  /** The name the client used, for error details. */
  field: string;
}

function idList(lists: Record<string, number[] | undefined>): IdList | undefined {
  const sent = Object.entries(lists).filter((entry): entry is [string, number[]] => entry[1] !== undefined);
  const first = sent[0];
  if (!first) return undefined;
  const ids = [...new Set(sent.flatMap(([, list]) => list))].sort((a, b) => a - b);
  return { ids, field: first[0] };
}

const missingFrom = (wanted: readonly number[], found: readonly number[]) =>
  wanted.filter((id) => !found.includes(id));

function unknownIds(kind: 'actor' | 'movie', field: string, ids: readonly number[]) {
  return unprocessable(
    `unknown ${kind} ids: ${ids.join(', ')}`,
    ids.map((id) => ({ field, message: `no ${kind} with id ${id}` })),
  );
}

const noActors = (field: string) =>
  unprocessable('a movie needs at least one actor', [{ field, message: 'must not be empty' }]);

function orphanedMovies(actorId: number, movies: readonly { id: number; title: string }[]) {
  return conflict(
    `actor ${actorId} is the only actor of: ${movies.map((m) => `${m.title} (${m.id})`).join(', ')}`,
    movies.map((m) => ({ field: 'movies_id', message: `movie ${m.id} would have no actors` })),
  );
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** 'YYYY-MM-DD' when the parts name a day of the (proleptic Gregorian) calendar PostgreSQL can store. */
function calendarDate(year: string, month: string, day: string): string | undefined {
  const [y, m, d] = [Number(year), Number(month), Number(day)];
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = m === 2 && leap ? 29 : DAYS_IN_MONTH[m - 1];
  if (y < 1 || days === undefined || d < 1 || d > days) return undefined;
  return `${year}-${month}-${day}`;
}

// The spec's patterns have already checked the shape; what is left is whether the day exists.
const DATE_SHAPES: Record<'release_date' | 'date_release', RegExp[]> = {
  release_date: [/^(?<y>\d{4})-(?<m>\d{2})-(?<d>\d{2})$/, /^(?<d>\d{2})-(?<m>\d{2})-(?<y>\d{4})$/],
  date_release: [/^(?<y>\d{4})(?<m>\d{2})(?<d>\d{2})$/],
};

/** The release date of a movie body as 'YYYY-MM-DD', from `release_date` or the deprecated `date_release`. */
function releaseDate(body: { release_date?: string; date_release?: string }): string | undefined {
  const days: string[] = [];
  const details: ErrorDetail[] = [];
  for (const field of ['release_date', 'date_release'] as const) {
    const raw = body[field];
    if (raw === undefined) continue;
    const parts = DATE_SHAPES[field].map((shape) => shape.exec(raw)?.groups).find(Boolean);
    const value = parts?.y && parts.m && parts.d ? calendarDate(parts.y, parts.m, parts.d) : undefined;
    if (value === undefined) details.push({ field, message: `${raw} is not a valid date` });
    else days.push(value);
  }
  if (details.length > 0) throw badRequest(`invalid ${details.map((d) => d.field).join(' and ')}`, details);
  const [first, second] = days;
  if (first && second && first !== second) {
    throw badRequest('release_date and date_release name different days', [
      { field: 'date_release', message: `${body.date_release} is not ${body.release_date}` },
    ]);
  }
  return first;
}

/**
 * A name or title as stored: trimmed. The spec's pattern has refused blank ones; PostgreSQL text cannot hold
 * NUL and would store a lone surrogate as U+FFFD, so those are refused here rather than as a 500 or a change.
 */
function text(field: string, value: string): string {
  if (!value.isWellFormed() || value.includes('\u0000')) {
    throw badRequest(`invalid ${field}`, [
      { field, message: 'must be well-formed Unicode without NUL characters' },
    ]);
  }
  return value.trim();
}

function pageOf(query: { page?: number; limit?: number }) {
  // Ajv has applied the spec's defaults (page 1, limit 20) and bounds.
  const limit = query.limit ?? 20;
  return { limit, offset: ((query.page ?? 1) - 1) * limit };
}

export function createCastingHandlers({ db }: AppDeps): HandlerGroup<CastingOperation> {
  async function actorResponse(id: number) {
    const actor = await findActorDetail(db, id);
    if (!actor) throw notFound(`actor ${id} not found`);
    return { success: true as const, actor };
  }

  async function movieResponse(id: number) {
    const movie = await findMovieDetail(db, id);
    if (!movie) throw notFound(`movie ${id} not found`);
    return { success: true as const, movie };
  }

  return {
    async listActors(request) {
      const page = pageOf(request.query);
      // One snapshot for both queries; a page past the end is not worth asking for (and could overflow OFFSET).
      return db
        .transaction()
        .setIsolationLevel('repeatable read')
        .execute(async (trx) => {
          const total = await countActors(trx);
          const actors = page.offset < total ? await listActors(trx, page) : [];
          return { success: true as const, actors, total_actors: total };
        });
    },

    async createActor(request, reply) {
      const body = request.body;
      const movies = idList({ movies_id: body.movies_id, movies: body.movies });
      const values = { name: text('name', body.name), age: body.age, gender: body.gender };
      const actor = await db.transaction().execute(async (trx) => {
        if (movies) {
          const unknown = missingFrom(movies.ids, await shareMovies(trx, movies.ids));
          if (unknown.length > 0) throw unknownIds('movie', movies.field, unknown);
        }
        const id = await insertActor(trx, values);
        if (movies) await setMoviesOfActor(trx, id, movies.ids);
        return findActorDetail(trx, id);
      });
      if (!actor) throw new Error('a created actor could not be read back');
      reply.code(201);
      return { success: true as const, actor_id: actor.id, actor };
    },

    async getActor(request) {
      return actorResponse(request.params.id);
    },

    async getActorDetails(request) {
      return actorResponse(request.params.id);
    },

    async updateActor(request) {
      const { id } = request.params;
      const { movies_id, movies: moviesAlias, ...fields } = request.body;
      const movies = idList({ movies_id, movies: moviesAlias });
      const changes = {
        ...fields,
        ...(fields.name === undefined ? {} : { name: text('name', fields.name) }),
      };
      const actor = await db.transaction().execute(async (trx) => {
        if (!(await lockActor(trx, id))) throw notFound(`actor ${id} not found`);
        if (movies) {
          // The actor's lock keeps anyone from adding it to a movie meanwhile; the movies' locks keep anyone
          // else from taking their other actors away until this commits.
          const current = await movieIdsOfActor(trx, id);
          const locked = await lockMovies(
            trx,
            [...new Set([...current, ...movies.ids])].sort((a, b) => a - b),
          );
          const unknown = missingFrom(movies.ids, locked);
          if (unknown.length > 0) throw unknownIds('movie', movies.field, unknown);
          const orphans = await moviesOnlyWithActor(trx, missingFrom(current, movies.ids), id);
          if (orphans.length > 0) throw orphanedMovies(id, orphans);
          await setMoviesOfActor(trx, id, movies.ids);
        }
        if (Object.keys(changes).length > 0) await updateActor(trx, id, changes);
        return findActorDetail(trx, id);
      });
      if (!actor) throw notFound(`actor ${id} not found`);
      return { success: true as const, actor_id: id, actor };
    },

    async deleteActor(request) {
      const { id } = request.params;
      const actor = await db.transaction().execute(async (trx) => {
        if (!(await lockActor(trx, id))) throw notFound(`actor ${id} not found`);
        const before = await findActorDetail(trx, id);
        if (!before) throw notFound(`actor ${id} not found`);
        await lockMovies(trx, before.movies_id);
        const orphans = await moviesOnlyWithActor(trx, before.movies_id, id);
        if (orphans.length > 0) throw orphanedMovies(id, orphans);
        await deleteActor(trx, id);
        return before;
      });
      return { success: true as const, deleted: id, actor_id: id, actor };
    },

    async listMovies(request) {
      const page = pageOf(request.query);
      return db
        .transaction()
        .setIsolationLevel('repeatable read')
        .execute(async (trx) => {
          const total = await countMovies(trx);
          const movies = page.offset < total ? await listMovies(trx, page) : [];
          return { success: true as const, movies, total_movies: total };
        });
    },

    async createMovie(request, reply) {
      const body = request.body;
      const title = text('title', body.title);
      const release_date = releaseDate(body);
      const actors = idList({ actors_id: body.actors_id, actors: body.actors });
      // The spec requires one of the two dates and one of the two lists; this narrows the types.
      if (release_date === undefined || actors === undefined) throw badRequest('invalid body');
      if (actors.ids.length === 0) throw noActors(actors.field);
      const movie = await db.transaction().execute(async (trx) => {
        const unknown = missingFrom(actors.ids, await shareActors(trx, actors.ids));
        if (unknown.length > 0) throw unknownIds('actor', actors.field, unknown);
        const id = await insertMovie(trx, { title, release_date });
        await setActorsOfMovie(trx, id, actors.ids);
        return findMovieDetail(trx, id);
      });
      if (!movie) throw new Error('a created movie could not be read back');
      reply.code(201);
      return { success: true as const, movie_id: movie.id, movie };
    },

    async getMovie(request) {
      return movieResponse(request.params.id);
    },

    async getMovieDetails(request) {
      return movieResponse(request.params.id);
    },

    async updateMovie(request) {
      const { id } = request.params;
      const body = request.body;
      const release_date = releaseDate(body);
      const changes = {
        ...(body.title === undefined ? {} : { title: text('title', body.title) }),
        ...(release_date === undefined ? {} : { release_date }),
      };
      const actors = idList({ actors_id: body.actors_id, actors: body.actors });
      if (actors && actors.ids.length === 0) throw noActors(actors.field);
      const movie = await db.transaction().execute(async (trx) => {
        if (!(await movieExists(trx, id))) throw notFound(`movie ${id} not found`);
        // Actors are locked before the movie, the order every casting transaction follows.
        if (actors) {
          const unknown = missingFrom(actors.ids, await shareActors(trx, actors.ids));
          if (unknown.length > 0) throw unknownIds('actor', actors.field, unknown);
        }
        if ((await lockMovies(trx, [id])).length === 0) throw notFound(`movie ${id} not found`);
        if (actors) await setActorsOfMovie(trx, id, actors.ids);
        if (Object.keys(changes).length > 0) await updateMovie(trx, id, changes);
        return findMovieDetail(trx, id);
      });
      if (!movie) throw notFound(`movie ${id} not found`);
      return { success: true as const, movie_id: id, movie };
    },

    async deleteMovie(request) {
      const { id } = request.params;
      const movie = await db.transaction().execute(async (trx) => {
        if ((await lockMovies(trx, [id])).length === 0) throw notFound(`movie ${id} not found`);
        const before = await findMovieDetail(trx, id);
        await deleteMovie(trx, id);
        return before;
      });
      if (!movie) throw notFound(`movie ${id} not found`);
      return { success: true as const, deleted: id, movie_id: id, movie };
    },
  };
}
