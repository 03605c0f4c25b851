import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export type Env = Record<string, string | undefined>;

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly host: string;
  readonly port: number;
  readonly logLevel: string;
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly dbPoolSize: number;
  /** Named prepared statements (src/db): off behind a transaction-mode pooler that cannot keep them. */
  readonly dbPreparedStatements: boolean;
  readonly redisUrl: string | undefined;
  readonly redisKeyPrefix: string;
  readonly jwt: {
    readonly secret: string;
    readonly issuer: string;
    readonly audience: string;
    readonly accessTtlSeconds: number;
    readonly refreshTtlSeconds: number;
    readonly jwksUrl: string | undefined;
    readonly externalIssuer: string | undefined;
    readonly externalAudience: string | undefined;
  };
  readonly passwordMinLength: number;
  /** Password-hashing threads and how many hashes may wait for one (src/auth/hash-pool.ts). */
  readonly hashing: { readonly workers: number; readonly queue: number };
  readonly admin: { readonly username: string; readonly password: string } | undefined;
  readonly movieApi: {
    readonly url: string;
    readonly username: string | undefined;
    readonly password: string | undefined;
    readonly attemptTimeoutMs: number;
    readonly maxAttempts: number;
    readonly deadlineMs: number;
    readonly breakerThreshold: number;
    readonly breakerHalfOpenMs: number;
    readonly cacheEntries: number;
  };
  readonly corsOrigins: readonly string[];
  /** Where clients reach the service; links are built from it, never from a request's Host. */
  readonly publicUrl: string | undefined;
  /** Without publicUrl: the Host names a link may be built from (a leading dot allows subdomains, `*` any). */
  readonly allowedHosts: readonly string[];
  readonly bodyLimit: number;
  readonly rateLimit: { readonly max: number; readonly windowMs: number };
  readonly loginBackoff: { readonly freeFailures: number; readonly maxDelayMs: number };
  readonly trustProxy: boolean | string;
  readonly workers: number;
  readonly metricsToken: string | undefined;
  readonly requestCounter: boolean;
  readonly requestTimeoutMs: number;
  readonly handlerTimeoutMs: number;
  /** Whole request headers must arrive within this; a slow-header client is disconnected after it. */
  readonly headersTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  /** Server-wide cap on open connections; more are closed as soon as they are accepted. */
  readonly maxConnections: number;
  /** How long a shutdown waits for requests still running before the process exits anyway (exit 1). */
  readonly shutdownTimeoutMs: number;
  /** The longest a request waits on Redis for the rate limiter; past it the limiter lets the request through. */
  readonly redisTimeoutMs: number;
  readonly migrateOnStart: boolean;
  readonly dbStartupTimeoutMs: number;
}

export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.variable = variable;
  }
}

function int(env: Env, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${env[name]}"`);
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, 'is not a valid URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}`);
  }
  return raw;
}

function list(env: Env, name: string, fallback: string[] = []): string[] {
  const items = (env[name] ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  return items.length > 0 ? items : fallback;
}

function nonEmpty(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw === '' ? undefined : raw;
}

// In development a missing JWT_SECRET must not log everyone out on every restart, so one is kept in the data folder.
function developmentSecret(dataDir: string): string {
  if (dataDir.startsWith('memory://')) return randomBytes(48).toString('base64url');
  const file = join(dataDir, 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

/**
 * Each connection holds a file descriptor: the default cap is the process's open-files limit less room for the
 * database pool, Redis, logs and files, so the process refuses connections before it runs out of descriptors.
 */
export function defaultMaxConnections(limits = readOpenFilesLimit()): number {
  return limits === undefined ? 8192 : Math.max(64, limits - 256);
}

function readOpenFilesLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = Number(line?.split(/\s{2,}/)[1]);
    return Number.isInteger(soft) && soft > 0 ? soft : undefined;
  } catch {
    return undefined; // not Linux: no /proc
  }
}

export interface LoadedConfig {
  config: Config;
  warnings: string[];
}

export function loadConfig(env: Env = process.env): LoadedConfig {
  const warnings: string[] = [];
  const nodeEnv = env.NODE_ENV ?? 'development';
  if (nodeEnv !== 'development' && nodeEnv !== 'production' && nodeEnv !== 'test') {
    throw new ConfigError('NODE_ENV', 'must be development, production or test');
  }
  // `memory://` is PGlite's in-memory database, not a folder name.
  const rawDataDir = env.DATA_DIR || 'data';
  const dataDir = rawDataDir.startsWith('memory://') ? rawDataDir : resolve(rawDataDir);

  let secret = nonEmpty(env, 'JWT_SECRET');
  if (secret !== undefined && secret.length < 32) {
    throw new ConfigError('JWT_SECRET', 'must be at least 32 characters');
  }
  if (secret === undefined) {
    if (nodeEnv === 'production') throw new ConfigError('JWT_SECRET', 'is required in production');
    secret = developmentSecret(dataDir);
    warnings.push(
      `JWT_SECRET is not set: using a generated development secret kept in ${dataDir}/jwt-secret`,
    );
  }

  const jwksUrl = url(env, 'JWT_JWKS_URL', ['http:', 'https:']);
  const externalIssuer = nonEmpty(env, 'JWT_ISSUER');
  const externalAudience = nonEmpty(env, 'JWT_AUDIENCE');
  if (jwksUrl && (!externalIssuer || !externalAudience)) {
    throw new ConfigError(
      externalIssuer ? 'JWT_AUDIENCE' : 'JWT_ISSUER',
      'is required when JWT_JWKS_URL is set',
    );
  }

  const adminUsername = nonEmpty(env, 'ADMIN_USERNAME');
  const adminPassword = nonEmpty(env, 'ADMIN_PASSWORD');
  if ((adminUsername === undefined) !== (adminPassword === undefined)) {
    throw new ConfigError(
      adminUsername ? 'ADMIN_PASSWORD' : 'ADMIN_USERNAME',
      'ADMIN_USERNAME and ADMIN_PASSWORD go together',
    );
  }

  const trustProxyRaw = nonEmpty(env, 'TRUST_PROXY');
  let trustProxy: boolean | string = false;
  if (trustProxyRaw !== undefined) {
    trustProxy = ['true', 'false', '1', '0'].includes(trustProxyRaw)
      ? bool(env, 'TRUST_PROXY', false)
      : trustProxyRaw;
  }

  const requestTimeoutMs = int(env, 'REQUEST_TIMEOUT_MS', 30_000, 0);
  const headersTimeoutMs = int(env, 'HEADERS_TIMEOUT_MS', 10_000, 1);

  const host = env.HOST || '127.0.0.1';
  const config: Config = {
    env: nodeEnv,
    host,
    port: int(env, 'PORT', 3000, 0, 65535),
    logLevel: env.LOG_LEVEL || 'info',
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    dataDir,
    dbPoolSize: int(env, 'DB_POOL_SIZE', 10, 1, 1000),
    dbPreparedStatements: bool(env, 'DB_PREPARED_STATEMENTS', true),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    redisKeyPrefix: env.REDIS_KEY_PREFIX ?? 'marquee:',
    jwt: {
      secret,
      issuer: env.TOKEN_ISSUER || 'marquee',
      audience: env.TOKEN_AUDIENCE || 'marquee',
      accessTtlSeconds: int(env, 'ACCESS_TOKEN_TTL', 3600, 1),
      refreshTtlSeconds: int(env, 'REFRESH_TOKEN_TTL', 7 * 24 * 3600, 1),
      jwksUrl,
      externalIssuer,
      externalAudience,
    },
    passwordMinLength: int(env, 'PASSWORD_MIN_LENGTH', 8, 8, 1024),
    hashing: { workers: int(env, 'HASH_WORKERS', 2, 1, 64), queue: int(env, 'HASH_QUEUE', 64, 0, 100_000) },
    admin: adminUsername && adminPassword ? { username: adminUsername, password: adminPassword } : undefined,
    movieApi: {
      url: url(env, 'MOVIE_API_URL', ['http:', 'https:']) ?? 'https://demo.credy.in/api/v1/maya/movies/',
      username: nonEmpty(env, 'MOVIE_API_USERNAME'),
      password: nonEmpty(env, 'MOVIE_API_PASSWORD'),
      attemptTimeoutMs: int(env, 'CATALOG_ATTEMPT_TIMEOUT_MS', 2000, 1),
      maxAttempts: int(env, 'CATALOG_MAX_ATTEMPTS', 6, 1, 20),
      deadlineMs: int(env, 'CATALOG_DEADLINE_MS', 8000, 1),
      breakerThreshold: int(env, 'CATALOG_BREAKER_THRESHOLD', 5, 1),
      breakerHalfOpenMs: int(env, 'CATALOG_BREAKER_HALF_OPEN_MS', 10_000, 1),
      cacheEntries: int(env, 'CATALOG_CACHE_ENTRIES', 1000, 1),
    },
    corsOrigins: list(env, 'CORS_ORIGINS'),
    publicUrl: url(env, 'PUBLIC_URL', ['http:', 'https:'])?.replace(/\/+$/, ''),
    allowedHosts: list(env, 'ALLOWED_HOSTS', ['localhost', '127.0.0.1', '[::1]', host.includes(':') ? `[${host}]` : host]).map((name) =>
      name.toLowerCase(),
    ),
    bodyLimit: int(env, 'BODY_LIMIT', 1024 * 1024, 1024),
    rateLimit: {
      max: int(env, 'RATE_LIMIT_AUTH_MAX', 20, 1),
      windowMs: int(env, 'RATE_LIMIT_AUTH_WINDOW_MS', 60_000, 1),
    },
    loginBackoff: {
      freeFailures: int(env, 'LOGIN_BACKOFF_FREE_FAILURES', 5, 1),
      maxDelayMs: int(env, 'LOGIN_BACKOFF_MAX_MS', 60_000, 1000),
    },
    trustProxy,
    workers: int(env, 'WORKERS', 1, 1, 64),
    metricsToken: nonEmpty(env, 'METRICS_TOKEN'),
    requestCounter: bool(env, 'REQUEST_COUNTER', true),
    requestTimeoutMs,
    handlerTimeoutMs: int(env, 'HANDLER_TIMEOUT_MS', 30_000, 0),
    // Node.js refuses a headers timeout longer than the request timeout: the whole request includes its headers.
    headersTimeoutMs: requestTimeoutMs > 0 ? Math.min(headersTimeoutMs, requestTimeoutMs) : headersTimeoutMs,
    keepAliveTimeoutMs: int(env, 'KEEP_ALIVE_TIMEOUT_MS', 72_000, 1),
    maxConnections: int(env, 'MAX_CONNECTIONS', defaultMaxConnections(), 1),
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 1),
    redisTimeoutMs: int(env, 'REDIS_TIMEOUT_MS', 100, 1, 60_000),
    migrateOnStart: bool(env, 'MIGRATE_ON_START', true),
    dbStartupTimeoutMs: int(env, 'DB_STARTUP_TIMEOUT_MS', 60_000, 0),
  };
  if (config.corsOrigins.includes('*')) {
    warnings.push(
      'CORS_ORIGINS contains "*": any site may call this API (credentials are never allowed with "*")',
    );
  }
  return { config: Object.freeze(config), warnings };
}
