// Generated from openapi.yaml by `npm run generate`. Do not edit.
import type { components } from './api.d.ts';

type Role = components['schemas']['Role'];
type Permission = components['schemas']['Permission'];

/** Each role's permissions: `x-permissions` on the spec's `Role` schema. */
export const ROLE_PERMISSIONS = {
  member: [],
  casting_assistant: ['get:actors', 'get:actor-details', 'get:movies', 'get:movie-details'],
  casting_director: ['get:actors', 'get:actor-details', 'get:movies', 'get:movie-details', 'post:actors', 'del:actors', 'patch:actor', 'patch:movie'],
  executive_producer: ['get:actors', 'get:actor-details', 'get:movies', 'get:movie-details', 'post:actors', 'del:actors', 'patch:actor', 'patch:movie', 'post:movies', 'del:movies'],
  admin: ['get:actors', 'get:actor-details', 'get:movies', 'get:movie-details', 'post:actors', 'del:actors', 'patch:actor', 'patch:movie', 'post:movies', 'del:movies', 'manage:users', 'reset:request-count'],
} as const satisfies Record<Role, readonly Permission[]>;

/**
 * The operations marked `x-rate-limit`, each with its group: the operations of a group share one limit per client
 * address (logins, registrations, a signed-in user's password checks).
 */
export const RATE_LIMIT_GROUP_OF: Readonly<Record<string, 'login' | 'registration' | 'password-check'>> = {
  registerCollectionsUser: 'registration',
  registerUser: 'registration',
  obtainTokenPair: 'login',
  createV1User: 'registration',
  deleteCurrentUser: 'password-check',
  changeCredentials: 'password-check',
  authenticateV1: 'login',
};
