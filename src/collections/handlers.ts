import type { AppDeps } from '../deps.ts';
import { preconditionOf, tagged } from '../plugins/conditional.ts';
import type { HandlerGroup } from '../spec/handlers.ts';
import type { CollectionRow } from './queries.ts';
import * as collections from './service.ts';

type CollectionOperations =
  | 'listCollections'
  | 'createCollection'
  | 'getCollection'
  | 'updateCollection'
  | 'deleteCollection'
  | 'addCollectionMovie'
  | 'removeCollectionMovie';

function present(row: CollectionRow) {
  return { ...row, created_at: row.created_at.toISOString(), updated_at: row.updated_at.toISOString() };
}

export function createCollectionHandlers({ db }: AppDeps): HandlerGroup<CollectionOperations> {
  return {
    async listCollections(request) {
      const { collections: list, favouriteGenres } = await collections.listCollections(db, request.user.id);
      return { is_success: true, data: { collections: list, favourite_genres: favouriteGenres } };
    },

    async createCollection(request, reply) {
      const { title, description = null, movies } = request.body;
      const uuid = await collections.createCollection(db, request.user.id, { title, description, movies });
      reply.code(201).header('location', `/collection/${uuid}/`);
      return { collection_uuid: uuid };
    },

    async getCollection(request, reply) {
      const row = await collections.getCollection(db, request.params.uuid, request.user.id);
      return tagged(reply, present(row), row);
    },

    async updateCollection(request, reply) {
      const { params, user, body } = request;
      const row = await collections.updateCollection(db, user.id, params.uuid, body, preconditionOf(request));
      return tagged(reply, present(row), row);
    },

    async deleteCollection(request, reply) {
      await collections.deleteCollection(db, request.user.id, request.params.uuid, preconditionOf(request));
      return reply.code(204).send();
    },

    async addCollectionMovie(request, reply) {
      const row = await collections.addMovie(db, request.user.id, request.params.uuid, request.body);
      reply.code(201);
      return present(row);
    },

    async removeCollectionMovie(request, reply) {
      const { uuid, movie_uuid: movieUuid } = request.params;
      await collections.removeMovie(db, request.user.id, uuid, movieUuid);
      return reply.code(204).send();
    },
  };
}
