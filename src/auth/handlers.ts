import type { FastifyRequest } from 'fastify';
import type { AppDeps } from '../deps.ts';
import { unauthorized } from '../errors/index.ts';
import { nextLink, pageRequest } from '../paging/cursor.ts';
import { preconditionOf, tagged } from '../plugins/conditional.ts';
import type { HandlerGroup } from '../spec/handlers.ts';
import { queryWithDefaults } from '../spec/index.ts';
import {
  checkCredentials,
  createAccount,
  createEmailAccount,
  getUser,
  listUsers,
  setRole,
  toUser,
} from './service.ts';
import { issueTokenPair, revokeRefreshToken, rotateRefreshToken, signAccessToken } from './tokens.ts';

type AuthOperation =
  | 'registerCollectionsUser'
  | 'registerUser'
  | 'obtainTokenPair'
  | 'refreshTokenPair'
  | 'revokeRefreshToken'
  | 'createV1User'
  | 'getCurrentUser'
  | 'authenticateV1'
  | 'listUsers'
  | 'updateUserRole';

/** Whether the request's client has gone: a password hash still queued for it is then dropped. */
const clientGone = (request: FastifyRequest) => () => request.raw.socket?.destroyed === true;

/** One answer for an unknown user and a wrong password: nothing tells which it was. */
const BAD_CREDENTIALS = 'invalid credentials';

export function createAuthHandlers(deps: AppDeps): HandlerGroup<AuthOperation> {
  const { config, db } = deps;
  const userPage = queryWithDefaults(deps.spec.document, 'listUsers');

  return {
    async registerCollectionsUser(request, reply) {
      const user = await createAccount(db, config, request.body, clientGone(request));
      const pair = await issueTokenPair(request.server, db, config, user);
      reply.code(201);
      return { access_token: pair.access, refresh_token: pair.refresh };
    },

    async registerUser(request, reply) {
      const user = await createAccount(db, config, request.body, clientGone(request));
      reply.code(201);
      return toUser(user);
    },

    async obtainTokenPair(request) {
      const user = await checkCredentials(
        db,
        { username: request.body.username },
        request.body.password,
        clientGone(request),
      );
      if (!user) throw unauthorized(BAD_CREDENTIALS);
      return issueTokenPair(request.server, db, config, user);
    },

    async refreshTokenPair(request) {
      return rotateRefreshToken(request.server, db, config, request.body.refresh);
    },

    async revokeRefreshToken(request, reply) {
      await revokeRefreshToken(db, request.body.refresh);
      return reply.code(204).send();
    },

    async createV1User(request, reply) {
      const user = await createEmailAccount(db, config, request.body, clientGone(request));
      reply.code(201);
      return { id: user.id, token: signAccessToken(request.server, user) };
    },

    async getCurrentUser(request, reply) {
      return tagged(reply, toUser(await getUser(db, request.user.id)));
    },

    async authenticateV1(request) {
      const user = await checkCredentials(db, { email: request.body.email }, request.body.password, clientGone(request));
      if (!user) throw unauthorized(BAD_CREDENTIALS);
      return { id: user.id, token: signAccessToken(request.server, user) };
    },

    async listUsers(request, reply) {
      const query = userPage(request.query);
      const { page, limit } = query;
      const { offset, after } = pageRequest('users', { ...query, offset: (page - 1) * limit });
      const { users, total } = await listUsers(db, { limit, offset, afterId: after ? Number(after[0]) : 0 });
      const link = nextLink('/api/v1/users', 'users', { limit }, users, (user) => [user.id]);
      if (link) reply.header('link', link);
      return { success: true, users: users.slice(0, limit).map(toUser), total_users: total, page, limit };
    },

    async updateUserRole(request, reply) {
      const user = await setRole(db, deps.userStates, request.params.id, request.body.role, preconditionOf(request));
      return tagged(reply, toUser(user));
    },
  };
}
