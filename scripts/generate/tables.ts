/**
 * The tables the spec carries in its extensions, as code and as docs: each role's permissions (`x-permissions` on
 * the `Role` schema) and the rate-limited operations (`x-rate-limit` on an operation). Refuses a spec whose tables
 * disagree with its enums.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** The limits operations share: one count per client address and group (src/auth/rate-limit.ts). */
const RATE_LIMIT_GROUPS = ['login', 'registration', 'password-check'];

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

interface SpecTables {
  rolePermissions: [role: string, permissions: string[]][];
  rateLimited: [operationId: string, limit: string][];
}

interface Spec {
  paths: Record<string, Record<string, { operationId?: string; 'x-rate-limit'?: unknown }>>;
  components: {
    schemas: {
      Role: { enum: string[]; 'x-permissions'?: Record<string, string[]> };
      Permission: { enum: string[] };
    };
  };
}

export function specTables(specPath: string): SpecTables {
  const spec = parse(readFileSync(specPath, 'utf8')) as Spec;
  const { Role, Permission } = spec.components.schemas;
  const table = Role['x-permissions'] ?? {};
  const problems: string[] = [];
  for (const role of Role.enum) if (!(role in table)) problems.push(`role ${role} has no x-permissions`);
  for (const [role, permissions] of Object.entries(table)) {
    if (!Role.enum.includes(role)) problems.push(`x-permissions names ${role}, which the Role enum lacks`);
    for (const p of permissions) if (!Permission.enum.includes(p)) problems.push(`${role}: unknown permission ${p}`);
  }
  const granted = new Set(Object.values(table).flat());
  for (const p of Permission.enum) if (!granted.has(p)) problems.push(`no role is granted ${p}`);

  const rateLimited: [string, string][] = [];
  for (const item of Object.values(spec.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      const limit = operation?.['x-rate-limit'];
      if (limit === undefined) continue;
      if (typeof limit !== 'string' || !RATE_LIMIT_GROUPS.includes(limit)) {
        problems.push(`${operation?.operationId}: x-rate-limit must be one of ${RATE_LIMIT_GROUPS.join(', ')}`);
      } else rateLimited.push([operation!.operationId!, limit]);
    }
  }
  if (problems.length > 0) throw new Error(`openapi.yaml: ${problems.join('; ')}`);
  return { rolePermissions: Role.enum.map((role) => [role, table[role]!]), rateLimited };
}

/** generated/tables.ts: the tables as typed constants. */
export function tablesModule(tables: SpecTables, header: string): string {
  const rows = tables.rolePermissions.map(
    ([role, permissions]) => `  ${role}: [${permissions.map((p) => `'${p}'`).join(', ')}],`,
  );
  const operations = tables.rateLimited.map(([operationId, group]) => `  ${operationId}: '${group}',`);
  return `${header}import type { components } from './api.d.ts';

type Role = components['schemas']['Role'];
type Permission = components['schemas']['Permission'];

/** Each role's permissions: \`x-permissions\` on the spec's \`Role\` schema. */
export const ROLE_PERMISSIONS = {
${rows.join('\n')}
} as const satisfies Record<Role, readonly Permission[]>;

/**
 * The operations marked \`x-rate-limit\`, each with its group: the operations of a group share one limit per client
 * address (logins, registrations, a signed-in user's password checks).
 */
export const RATE_LIMIT_GROUP_OF: Readonly<Record<string, 'login' | 'registration' | 'password-check'>> = {
${operations.join('\n')}
};
`;
}

const BEGIN = '<!-- roles: generated from openapi.yaml by `npm run generate` -->';
const END = '<!-- end of roles -->';

/** `doc` with the role table between its markers replaced by the spec's. */
export function withRoleTable(doc: string, tables: SpecTables): string {
  const start = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) throw new Error(`the role table's markers are missing: ${BEGIN} … ${END}`);
  const rows = tables.rolePermissions.map(
    ([role, permissions]) =>
      `| \`${role}\` | ${permissions.length === 0 ? 'none' : permissions.map((p) => `\`${p}\``).join(', ')} |`,
  );
  const table = ['| role | permissions |', '|---|---|', ...rows].join('\n');
  return `${doc.slice(0, start)}${BEGIN}\n${table}\n${doc.slice(end)}`;
}
