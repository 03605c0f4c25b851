import { existsSync } from 'node:fs';
import addFormats from 'ajv-formats';
import envSchema from 'env-schema';
import { type Variable, VARIABLES, type VariableName } from './variables.ts';

export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.variable = variable;
  }
}

/** `.env` in the working folder, when there is one; a variable already set in the environment wins. */
export function readDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

/** Unset and empty mean the same (`PORT=` in .env); yes/on/1 mean true, as people write them. */
function prepare(env: Env): Record<string, string> {
  const data: Record<string, string> = {};
  for (const [name, variable] of Object.entries(VARIABLES) as [VariableName, Variable][]) {
    const raw = env[name];
    if (raw === undefined || (raw === '' && !variable.keepEmpty)) continue;
    const lower = raw.toLowerCase();
    const isFlag = variable.schema.type === 'boolean';
    data[name] = isFlag && TRUE.has(lower) ? 'true' : isFlag && FALSE.has(lower) ? 'false' : raw;
  }
  return data;
}

type AjvError = { instancePath: string };

/** The variables, typed and with their defaults; the first bad one is a ConfigError naming it. */
export function parseVariables(env: Env): Record<VariableName, unknown> {
  const properties = Object.fromEntries(Object.entries(VARIABLES).map(([name, v]) => [name, v.schema]));
  try {
    return envSchema<Record<VariableName, unknown>>({
      schema: { type: 'object', properties },
      data: prepare(env),
      env: false,
      ajv: { customOptions: (ajv) => addFormats.default(ajv, ['uri']) },
    });
  } catch (error) {
    const first = (error as { errors?: AjvError[] }).errors?.[0];
    const name = first?.instancePath.slice(1) as VariableName | undefined;
    if (name === undefined || !(name in VARIABLES)) throw error;
    const variable: Variable = VARIABLES[name];
    const got = variable.secret ? '' : `, got "${env[name]}"`;
    throw new ConfigError(name, `must be ${variable.hint}${got}`);
  }
}

/** Read by the OpenTelemetry SDK, Node.js or npm: not ours, not typos of ours. */
const FOREIGN_PREFIXES = ['OTEL_', 'NODE_', 'npm_', 'TAP', 'PG'];

/** Edits from one name to the other; swapping two neighbours (REDIS_ULR) counts as one. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] as number;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * A variable that looks like one of ours but is not (`DATABSE_URL`, `LOG_LEVL`, `MARQUEE_PORT`) is otherwise
 * silently ignored: warn with the closest real name. Short names need a closer match (HOME is not HOST).
 */
export function typoWarnings(env: Env): string[] {
  const names = Object.keys(VARIABLES);
  const warnings: string[] = [];
  for (const name of Object.keys(env)) {
    if (name in VARIABLES || FOREIGN_PREFIXES.some((prefix) => name.startsWith(prefix))) continue;
    const bare = name.startsWith('MARQUEE_') ? name.slice('MARQUEE_'.length) : name;
    const [closest, best] = names
      .map((known) => [known, distance(bare.toUpperCase(), known)] as const)
      .reduce((a, b) => (b[1] < a[1] ? b : a));
    const near = best <= Math.max(1, Math.floor(closest.length / 5));
    if (near || bare !== name) {
      const hint = near ? `did you mean ${closest}?` : 'see docs/configuration.md for the names';
      warnings.push(`${name} is not a Marquee variable and is ignored; ${hint}`);
    }
  }
  return warnings;
}
