import type { FastifyReply } from 'fastify';
import type { AppDeps } from '../deps.ts';
import { badRequest } from '../errors/index.ts';
import { nextLink, pageRequest } from '../paging/cursor.ts';
import { preconditionOf, tagged } from '../plugins/conditional.ts';
import type { HandlerGroup } from '../spec/handlers.ts';
import { queryWithDefaults } from '../spec/index.ts';
import * as casting from './service.ts';

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

/** A name or title as stored: trimmed (the spec's validation has already refused NUL and lone surrogates). */
function storedText(value: string): string {
  return value.trim();
}

/** The page a list asks for, by `page` or by `cursor`, as the queries take it. */
function pageOf(list: 'actors' | 'movies', query: { page: number; limit: number; cursor?: string }) {
  const { limit, offset, after } = pageRequest(list, { ...query, offset: (query.page - 1) * query.limit });
  return { limit, offset, ...(after ? { afterId: Number(after[0]) } : {}) };
}

/** Sets the `next` link when more rows follow and returns the page's own rows. */
function pageRows<T extends { id: number }>(
  reply: FastifyReply,
  list: 'actors' | 'movies',
  limit: number,
  rows: T[],
): T[] {
  const link = nextLink(`/${list}`, list, { limit }, rows, (row) => [row.id]);
  if (link) reply.header('link', link);
  return rows.slice(0, limit);
}

export function createCastingHandlers({ db, spec }: AppDeps): HandlerGroup<CastingOperation> {
  const actorPage = queryWithDefaults(spec.document, 'listActors');
  const moviePage = queryWithDefaults(spec.document, 'listMovies');
  // The `…Details` operations are the older clients' names for the same reads.
  const actorReply = async (id: number, reply: FastifyReply) => ({
    success: true as const,
    actor: tagged(reply, await casting.getActor(db, id)),
  });
  const movieReply = async (id: number, reply: FastifyReply) => ({
    success: true as const,
    movie: tagged(reply, await casting.getMovie(db, id)),
  });

  return {
    async listActors(request, reply) {
      const page = pageOf('actors', actorPage(request.query));
      const { items, total } = await casting.listActors(db, page);
      return { success: true, actors: pageRows(reply, 'actors', page.limit, items), total_actors: total };
    },

    async createActor(request, reply) {
      const { name, age, gender, movies_id, movies } = request.body;
      const actor = await casting.createActor(
        db,
        { name: storedText(name), age, gender },
        casting.idList({ movies_id, movies }),
      );
      reply.code(201).header('location', `/actors/${actor.id}`);
      return { success: true, actor_id: actor.id, actor: tagged(reply, actor) };
    },

    getActor: (request, reply) => actorReply(request.params.id, reply),
    getActorDetails: (request, reply) => actorReply(request.params.id, reply),

    async updateActor(request, reply) {
      const { id } = request.params;
      const { movies_id, movies, ...fields } = request.body;
      const changes =
        fields.name === undefined ? fields : { ...fields, name: storedText(fields.name) };
      const movieIds = casting.idList({ movies_id, movies });
      const actor = await casting.updateActor(db, id, changes, movieIds, preconditionOf(request));
      return { success: true, actor_id: id, actor: tagged(reply, actor) };
    },

    async deleteActor(request) {
      const { id } = request.params;
      const actor = await casting.deleteActor(db, id, preconditionOf(request));
      return { success: true, deleted: id, actor_id: id, actor };
    },

    async listMovies(request, reply) {
      const page = pageOf('movies', moviePage(request.query));
      const { items, total } = await casting.listMovies(db, page);
      return { success: true, movies: pageRows(reply, 'movies', page.limit, items), total_movies: total };
    },

    async createMovie(request, reply) {
      const body = request.body;
      const release_date = casting.releaseDate(body);
      const actors = casting.idList({ actors_id: body.actors_id, actors: body.actors });
      // The spec requires one of the two dates and one of the two lists; this narrows the types.
      if (release_date === undefined || actors === undefined) throw badRequest('invalid body');
      const title = storedText(body.title);
      const movie = await casting.createMovie(db, { title, release_date }, actors);
      reply.code(201).header('location', `/movies/${movie.id}`);
      return { success: true, movie_id: movie.id, movie: tagged(reply, movie) };
    },

    getMovie: (request, reply) => movieReply(request.params.id, reply),
    getMovieDetails: (request, reply) => movieReply(request.params.id, reply),

    async updateMovie(request, reply) {
      const { id } = request.params;
      const { title, actors_id, actors, ...dates } = request.body;
      const release_date = casting.releaseDate(dates);
      const changes = {
        ...(title === undefined ? {} : { title: storedText(title) }),
        ...(release_date === undefined ? {} : { release_date }),
      };
      const cast = casting.idList({ actors_id, actors });
      const movie = await casting.updateMovie(db, id, changes, cast, preconditionOf(request));
      return { success: true, movie_id: id, movie: tagged(reply, movie) };
    },

    async deleteMovie(request) {
      const { id } = request.params;
      const movie = await casting.deleteMovie(db, id, preconditionOf(request));
      return { success: true, deleted: id, movie_id: id, movie };
    },
  };
}
