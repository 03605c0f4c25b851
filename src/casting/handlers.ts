import type { AppDeps } from '../deps.ts';
import { badRequest } from '../errors/index.ts';
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

const pageOf = ({ page, limit }: { page: number; limit: number }) => ({ limit, offset: (page - 1) * limit });

export function createCastingHandlers({ db, spec }: AppDeps): HandlerGroup<CastingOperation> {
  const actorPage = queryWithDefaults(spec.document, 'listActors');
  const moviePage = queryWithDefaults(spec.document, 'listMovies');
  // The `…Details` operations are the older clients' names for the same reads.
  const actorReply = async (id: number) => ({
    success: true as const,
    actor: await casting.getActor(db, id),
  });
  const movieReply = async (id: number) => ({
    success: true as const,
    movie: await casting.getMovie(db, id),
  });

  return {
    async listActors(request) {
      const { items, total } = await casting.listActors(db, pageOf(actorPage(request.query)));
      return { success: true, actors: items, total_actors: total };
    },

    async createActor(request, reply) {
      const { name, age, gender, movies_id, movies } = request.body;
      const actor = await casting.createActor(
        db,
        { name: storedText(name), age, gender },
        casting.idList({ movies_id, movies }),
      );
      reply.code(201);
      return { success: true, actor_id: actor.id, actor };
    },

    getActor: (request) => actorReply(request.params.id),
    getActorDetails: (request) => actorReply(request.params.id),

    async updateActor(request) {
      const { id } = request.params;
      const { movies_id, movies, ...fields } = request.body;
      const changes =
        fields.name === undefined ? fields : { ...fields, name: storedText(fields.name) };
      const actor = await casting.updateActor(db, id, changes, casting.idList({ movies_id, movies }));
      return { success: true, actor_id: id, actor };
    },

    async deleteActor(request) {
      const { id } = request.params;
      const actor = await casting.deleteActor(db, id);
      return { success: true, deleted: id, actor_id: id, actor };
    },

    async listMovies(request) {
      const { items, total } = await casting.listMovies(db, pageOf(moviePage(request.query)));
      return { success: true, movies: items, total_movies: total };
    },

    async createMovie(request, reply) {
      const body = request.body;
      const release_date = casting.releaseDate(body);
      const actors = casting.idList({ actors_id: body.actors_id, actors: body.actors });
      // The spec requires one of the two dates and one of the two lists; this narrows the types.
      if (release_date === undefined || actors === undefined) throw badRequest('invalid body');
      const title = storedText(body.title);
      const movie = await casting.createMovie(db, { title, release_date }, actors);
      reply.code(201);
      return { success: true, movie_id: movie.id, movie };
    },

    getMovie: (request) => movieReply(request.params.id),
    getMovieDetails: (request) => movieReply(request.params.id),

    async updateMovie(request) {
      const { id } = request.params;
      const { title, actors_id, actors, ...dates } = request.body;
      const release_date = casting.releaseDate(dates);
      const changes = {
        ...(title === undefined ? {} : { title: storedText(title) }),
        ...(release_date === undefined ? {} : { release_date }),
      };
      const movie = await casting.updateMovie(db, id, changes, casting.idList({ actors_id, actors }));
      return { success: true, movie_id: id, movie };
    },

    async deleteMovie(request) {
      const { id } = request.params;
      const movie = await casting.deleteMovie(db, id);
      return { success: true, deleted: id, movie_id: id, movie };
    },
  };
}
