export const ROLES = [
  'member',
  'casting_assistant',
  'casting_director',
  'executive_producer',
  'admin',
] as const;
export type Role = (typeof ROLES)[number];

const ASSISTANT = ['get:actors', 'get:actor-details', 'get:movies', 'get:movie-details'] as const;
const DIRECTOR = [...ASSISTANT, 'post:actors', 'del:actors', 'patch:actor', 'patch:movie'] as const;
const PRODUCER = [...DIRECTOR, 'post:movies', 'del:movies'] as const;
const ADMIN = [...PRODUCER, 'manage:users', 'reset:request-count'] as const;

export type Permission = (typeof ADMIN)[number];

/** The role table of API.md: members hold no scoped permission, only what any signed-in user may do. */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  member: [],
  casting_assistant: ASSISTANT,
  casting_director: DIRECTOR,
  executive_producer: PRODUCER,
  admin: ADMIN,
};

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function permissionsOf(role: string): Permission[] {
  return isRole(role) ? [...ROLE_PERMISSIONS[role]] : [];
}
