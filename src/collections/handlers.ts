import type { AppDeps } from '../deps.ts';
import { notFound } from '../errors/index.ts';
import type { HandlerGroup } from '../spec/handlers.ts';
import {
  appendCollectionMovie,
  type CatalogMovieInput,
  type CollectionRow,
  deleteCollection,
  findCollection,
  findFavouriteGenres,
  insertCollection,
  listCollections,
  removeCollectionMovie,
  replaceCollectionMovies,
  touchCollection,
  upsertCatalogMovies,
} from './queries.ts';

type CollectionOperations =
  | 'listCollections'
  | 'createCollection'
  | 'getCollection'
  | 'updateCollection'
  | 'deleteCollection'
  | 'addCollectionMovie'
  | 'removeCollectionMovie';

/**
 * One entry per movie: a uuid sent twice keeps its first place and the data sent last. Uuids are compared
 * lower-cased, as PostgreSQL's uuid type does.
 */
function mergeDuplicates(movies: readonly CatalogMovieInput[]): CatalogMovieInput[] {
  const merged = new Map<string, CatalogMovieInput>();
  for (const movie of movies) merged.set(movie.uuid.toLowerCase(), movie);
  return [...merged.values()];
}

function present(row: CollectionRow) {
  return { ...row, created_at: row.created_at.toISOString(), updated_at: row.updated_at.toISOString() };
}

const missing = (uuid: string) => notFound(`collection ${uuid} not found`);

export function createCollectionHandlers({ db }: AppDeps): HandlerGroup<CollectionOperations> {
  async function collectionOf(uuid: string, userId: number) {
    const row = await findCollection(db, uuid, userId);
    if (!row) throw missing(uuid);
    return present(row);
  }

  return {
    async listCollections(request) {
      const userId = request.user.id;
      const [collections, favouriteGenres] = await Promise.all([
        listCollections(db, userId),
        findFavouriteGenres(db, userId),
      ]);
      return { is_success: true, data: { collections, favourite_genres: favouriteGenres } };
    },

    async createCollection(request, reply) {
      const { title, description = null } = request.body;
      const movies = mergeDuplicates(request.body.movies);
      const uuid = await db.transaction().execute(async (trx) => {
        const id = await insertCollection(trx, { userId: request.user.id, title, description });
        await upsertCatalogMovies(trx, movies);
        await replaceCollectionMovies(
          trx,
          id,
          movies.map((movie) => movie.uuid),
        );
        return id;
      });
      reply.code(201);
      return { collection_uuid: uuid };
    },

    async getCollection(request) {
      return collectionOf(request.params.uuid, request.user.id);
    },

    async updateCollection(request) {
      const { uuid } = request.params;
      const userId = request.user.id;
      const { movies, ...changes } = request.body;
      return db.transaction().execute(async (trx) => {
        if (!(await touchCollection(trx, uuid, userId, changes))) throw missing(uuid);
        if (movies) {
          const merged = mergeDuplicates(movies);
          await upsertCatalogMovies(trx, merged);
          await replaceCollectionMovies(
            trx,
            uuid,
            merged.map((movie) => movie.uuid),
          );
        }
        const row = await findCollection(trx, uuid, userId);
        if (!row) throw missing(uuid);
        return present(row);
      });
    },

    async deleteCollection(request, reply) {
      const { uuid } = request.params;
      if (!(await deleteCollection(db, uuid, request.user.id))) throw missing(uuid);
      return reply.code(204).send();
    },

    async addCollectionMovie(request, reply) {
      const { uuid } = request.params;
      const userId = request.user.id;
      const collection = await db.transaction().execute(async (trx) => {
        if (!(await touchCollection(trx, uuid, userId))) throw missing(uuid);
        await upsertCatalogMovies(trx, [request.body]);
        await appendCollectionMovie(trx, uuid, request.body.uuid);
        const row = await findCollection(trx, uuid, userId);
        if (!row) throw missing(uuid);
        return present(row);
      });
      reply.code(201);
      return collection;
    },

    async removeCollectionMovie(request, reply) {
      const { uuid, movie_uuid: movieUuid } = request.params;
      const userId = request.user.id;
      await db.transaction().execute(async (trx) => {
        if (!(await touchCollection(trx, uuid, userId))) throw missing(uuid);
        if (!(await removeCollectionMovie(trx, uuid, movieUuid))) {
          throw notFound(`movie ${movieUuid} is not in collection ${uuid}`);
        }
      });
      return reply.code(204).send();
    },
  };
}
