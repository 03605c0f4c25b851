import type { components } from '../../generated/api.d.ts';

export type Role = components['schemas']['Role'];
export type Permission = components['schemas']['Permission'];

const ASSISTANT = ['get:actors', 'get:actor-details', 'get:movies', 'get:movie-details'] as const;
const DIRECTOR = [...ASSISTANT, 'post:actors', 'del:actors', 'patch:actor', 'patch:movie'] as const;
const PRODUCER = [...DIRECTOR, 'post:movies', 'del:movies'] as const;
const ADMIN = [...PRODUCER, 'manage:users', 'reset:request-count'] as const;

/**
 * The role table described under the spec's `bearerAuth` scheme: members hold no scoped permission, only what
 * any signed-in user may do. A role the spec's enum adds without a row here fails to compile.
 */
export const ROLE_PERMISSIONS = {
  member: [],
  casting_assistant: ASSISTANT,
  casting_director: DIRECTOR,
  executive_producer: PRODUCER,
  admin: ADMIN,
} as const satisfies Record<Role, readonly Permission[]>;

// A permission the spec's enum adds that no role is granted fails to compile here.
type Ungranted = Exclude<Permission, (typeof ADMIN)[number]>;
const everyPermissionGranted: [Ungranted] extends [never] ? true : Ungranted = true;
void everyPermissionGranted;

export const ROLES = Object.keys(ROLE_PERMISSIONS) as Role[];

export function isRole(value: string): value is Role {
  return Object.hasOwn(ROLE_PERMISSIONS, value);
}

export function permissionsOf(role: string): Permission[] {
  return isRole(role) ? [...ROLE_PERMISSIONS[role]] : [];
}
