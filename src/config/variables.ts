/**
 * Every environment variable Marquee reads, one entry each: its JSON Schema (checked by env-schema) and what a
 * good value looks like, for the one-line error. Adding a variable is one entry here, one row in
 * docs/configuration.md (test/config/docs-drift.test.ts checks both) and its field in Config.
 */

export interface Variable {
  readonly schema: Readonly<Record<string, unknown>>;
  /** Completes "must be …" in the error line. */
  readonly hint: string;
  /** Never echo the value back (it is a credential). */
  readonly secret?: boolean;
  /** An empty value is a value, not "unset" (REDIS_KEY_PREFIX=""). */
  readonly keepEmpty?: boolean;
}

const integer = (fallback: number | undefined, minimum: number, maximum?: number): Variable => ({
  schema: {
    type: 'integer',
    minimum,
    ...(maximum === undefined ? {} : { maximum }),
    ...(fallback === undefined ? {} : { default: fallback }),
  },
  hint: maximum === undefined ? `an integer of at least ${minimum}` : `an integer from ${minimum} to ${maximum}`,
});

const flag = (fallback: boolean): Variable => ({
  schema: { type: 'boolean', default: fallback },
  hint: 'true or false',
});

const text = (fallback?: string, options: { secret?: boolean; keepEmpty?: boolean } = {}): Variable => ({
  schema: { type: 'string', ...(fallback === undefined ? {} : { default: fallback }) },
  hint: 'text',
  ...options,
});

const oneOf = (values: readonly string[], fallback: string): Variable => ({
  schema: { type: 'string', enum: values, default: fallback },
  hint: `one of ${values.join(', ')}`,
});

const url = (schemes: readonly string[]): Variable => ({
  schema: { type: 'string', format: 'uri', pattern: `^(${schemes.join('|')})://` },
  hint: `a ${schemes.map((scheme) => `${scheme}://`).join(' or ')} URL`,
});

/** pino's levels: anything else stops pino with a stack trace, so it is refused here in one line. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const VARIABLES = {
  NODE_ENV: oneOf(['development', 'production', 'test'], 'development'),
  HOST: text('127.0.0.1'),
  PORT: integer(3000, 0, 65535),
  LOG_LEVEL: oneOf(LOG_LEVELS, 'info'),
  DATABASE_URL: url(['postgres', 'postgresql']),
  DATABASE_LISTEN_URL: url(['postgres', 'postgresql']),
  DATA_DIR: text('data'),
  DB_POOL_SIZE: integer(10, 1, 1000),
  DB_PREPARED_STATEMENTS: flag(true),
  DB_STARTUP_TIMEOUT_MS: integer(undefined, 0),
  MIGRATE_ON_START: flag(true),
  REDIS_URL: url(['redis', 'rediss']),
  REDIS_KEY_PREFIX: text('marquee:', { keepEmpty: true }),
  REDIS_TIMEOUT_MS: integer(100, 1, 60_000),
  JWT_SECRET: {
    schema: { type: 'string', minLength: 32 },
    hint: 'at least 32 characters',
    secret: true,
  },
  TOKEN_ISSUER: text('marquee'),
  TOKEN_AUDIENCE: text('marquee'),
  ACCESS_TOKEN_TTL: integer(3600, 1),
  REFRESH_TOKEN_TTL: integer(7 * 24 * 3600, 1),
  JWT_JWKS_URL: url(['http', 'https']),
  JWT_ISSUER: text(),
  JWT_AUDIENCE: text(),
  PASSWORD_MIN_LENGTH: integer(8, 8, 1024),
  HASH_WORKERS: integer(2, 1, 64),
  HASH_QUEUE: integer(64, 0, 100_000),
  // OWASP's minimum for argon2id is m = 19 MiB, t = 2, p = 1.
  HASH_MEMORY_KIB: integer(19_456, 19_456, 262_144),
  HASH_PASSES: integer(2, 2, 16),
  AUDIT_RETENTION_DAYS: integer(365, 1, 36_500),
  ADMIN_USERNAME: text(),
  ADMIN_PASSWORD: text(undefined, { secret: true }),
  MOVIE_API_URL: url(['http', 'https']),
  MOVIE_API_USERNAME: text(),
  MOVIE_API_PASSWORD: text(undefined, { secret: true }),
  CATALOG_ATTEMPT_TIMEOUT_MS: integer(2000, 1),
  CATALOG_MAX_ATTEMPTS: integer(6, 1, 20),
  CATALOG_DEADLINE_MS: integer(8000, 1),
  CATALOG_BREAKER_THRESHOLD: integer(5, 1),
  CATALOG_BREAKER_HALF_OPEN_MS: integer(10_000, 1),
  CATALOG_CACHE_ENTRIES: integer(1000, 1),
  CORS_ORIGINS: text(''),
  PUBLIC_URL: url(['http', 'https']),
  ALLOWED_HOSTS: text(''),
  IDEMPOTENCY_TTL_SECONDS: integer(24 * 60 * 60, 1),
  BODY_LIMIT: integer(1024 * 1024, 1024),
  RATE_LIMIT_AUTH_MAX: integer(20, 1),
  RATE_LIMIT_AUTH_WINDOW_MS: integer(60_000, 1),
  LOGIN_BACKOFF_FREE_FAILURES: integer(5, 1),
  LOGIN_BACKOFF_MAX_MS: integer(60_000, 1000),
  TRUST_PROXY: text(),
  WORKERS: integer(1, 1, 64),
  METRICS_TOKEN: text(undefined, { secret: true }),
  REQUEST_COUNTER: flag(true),
  REQUEST_TIMEOUT_MS: integer(30_000, 0),
  HANDLER_TIMEOUT_MS: integer(30_000, 0),
  HEADERS_TIMEOUT_MS: integer(10_000, 1),
  KEEP_ALIVE_TIMEOUT_MS: integer(72_000, 1),
  MAX_CONNECTIONS: integer(undefined, 1),
  MAX_CONNECTIONS_PER_ADDRESS: integer(undefined, 0),
  FIRST_BYTE_TIMEOUT_MS: integer(undefined, 1),
  SHUTDOWN_TIMEOUT_MS: integer(10_000, 1),
} satisfies Record<string, Variable>;

export type VariableName = keyof typeof VARIABLES;
