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

/** The operations marked `x-rate-limit: auth`: login and registration. */
export const RATE_LIMITED_OPERATIONS: readonly string[] = [
  'registerCollectionsUser',
  'registerUser',
  'obtainTokenPair',
  'createV1User',
  'authenticateV1',
];
