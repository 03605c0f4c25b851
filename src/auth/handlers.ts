import type { FastifyRequest } from 'fastify';
import type { AppDeps } from '../deps.ts';
import { nextLink, pageRequest } from '../paging/cursor.ts';
import { preconditionOf, tagged } from '../plugins/conditional.ts';
import type { HandlerGroup } from '../spec/handlers.ts';
import { queryWithDefaults } from '../spec/index.ts';
import { changeAccess, changeOwnPassword, removeAccount, removeOwnAccount } from './accounts.ts';
import { actorOf, listAudit } from './audit.ts';
import {
  createAccount,
  createEmailAccount,
  getUser,
  listUsers,
  registerWithTokens,
  signIn,
  toUser,
} from './service.ts';
import { createTokenSigner } from './signer.ts';
import { revokeRefreshToken, rotateRefreshToken } from './tokens.ts';

type AuthOperation =
  | 'registerCollectionsUser'
  | 'registerUser'
  | 'obtainTokenPair'
  | 'refreshTokenPair'
  | 'revokeRefreshToken'
  | 'createV1User'
  | 'getCurrentUser'
  | 'deleteCurrentUser'
  | 'changeCredentials'
  | 'authenticateV1'
  | 'listUsers'
  | 'updateUserRole'
  | 'deleteUser'
  | 'listAuditEvents';

/** Whether the request's client has gone: a password hash still queued for it is then dropped. */
const clientGone = (request: FastifyRequest) => () => request.raw.socket?.destroyed === true;

export function createAuthHandlers(deps: AppDeps): HandlerGroup<AuthOperation> {
  const { config, db } = deps;
  const signer = createTokenSigner(config.jwt);
  const userPage = queryWithDefaults(deps.spec.document, 'listUsers');
  const auditPage = queryWithDefaults(deps.spec.document, 'listAuditEvents');

  return {
    async registerCollectionsUser(request, reply) {
      const pair = await registerWithTokens(db, config, signer, request.body, clientGone(request));
      reply.code(201);
      return { access_token: pair.access, refresh_token: pair.refresh };
    },

    async registerUser(request, reply) {
      const user = await createAccount(db, config, request.body, clientGone(request));
      reply.code(201);
      return toUser(user);
    },

    async obtainTokenPair(request) {
      const { username, password } = request.body;
      const attempt = { login: { username }, password, refresh: true as const };
      const { access, refresh } = await signIn(db, config, signer, attempt, actorOf(request), clientGone(request));
      return { access, refresh };
    },

    async refreshTokenPair(request) {
      return rotateRefreshToken(db, config, signer, request.body.refresh);
    },

    async revokeRefreshToken(request, reply) {
      await revokeRefreshToken(db, request.body.refresh);
      return reply.code(204).send();
    },

    async createV1User(request, reply) {
      const user = await createEmailAccount(db, config, request.body, clientGone(request));
      reply.code(201);
      return { id: user.id, token: signer.access(user) };
    },

    async getCurrentUser(request, reply) {
      return tagged(reply, toUser(await getUser(db, request.user.id)));
    },

    async deleteCurrentUser(request, reply) {
      await removeOwnAccount(db, actorOf(request), request.body.password, clientGone(request));
      deps.userStates.forget(request.user.id);
      return reply.code(204).send();
    },

    async changeCredentials(request, reply) {
      await changeOwnPassword(db, config, actorOf(request), request.body, clientGone(request));
      deps.userStates.forget(request.user.id);
      return reply.code(204).send();
    },

    async authenticateV1(request) {
      const { email, password } = request.body;
      const attempt = { login: { email }, password, refresh: false };
      const { user, access } = await signIn(db, config, signer, attempt, actorOf(request), clientGone(request));
      return { id: user.id, token: access };
    },

    async listUsers(request, reply) {
      const query = userPage(request.query);
      const { page, limit } = query;
      const { role, active, username_prefix: usernamePrefix } = request.query;
      const filter = { role, active, usernamePrefix };
      const { offset, after } = pageRequest('users', { ...query, offset: (page - 1) * limit });
      const afterId = after ? Number(after[0]) : 0;
      const { users, total } = await listUsers(db, filter, { limit, offset, afterId });
      const link = nextLink('/api/v1/users', 'users', { limit }, users, (user) => [user.id]);
      if (link) reply.header('link', link);
      return { success: true, users: users.slice(0, limit).map(toUser), total_users: total, page, limit };
    },

    async updateUserRole(request, reply) {
      const { id } = request.params;
      const user = await changeAccess(db, actorOf(request), id, request.body, preconditionOf(request));
      deps.userStates.forget(id);
      return tagged(reply, toUser(user));
    },

    async deleteUser(request, reply) {
      await removeAccount(db, actorOf(request), request.params.id);
      deps.userStates.forget(request.params.id);
      return reply.code(204).send();
    },

    async listAuditEvents(request) {
      const { page, limit } = auditPage(request.query);
      const { events, total } = await listAudit(db, { limit, offset: (page - 1) * limit });
      return { success: true, events, total_events: total, page, limit };
    },
  };
}
