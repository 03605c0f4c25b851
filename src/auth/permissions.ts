import type { components } from '../../generated/api.d.ts';
import { ROLE_PERMISSIONS } from '../../generated/tables.ts';

export { ROLE_PERMISSIONS };

export type Role = components['schemas']['Role'];
export type Permission = components['schemas']['Permission'];

export const ROLES = Object.keys(ROLE_PERMISSIONS) as Role[];

export function isRole(value: string): value is Role {
  return Object.hasOwn(ROLE_PERMISSIONS, value);
}

export function permissionsOf(role: string): Permission[] {
  return isRole(role) ? [...ROLE_PERMISSIONS[role]] : [];
}
