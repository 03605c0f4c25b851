import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, type Env, parseVariables, typoWarnings } from './environment.ts';

export { ConfigError, type Env, readDotEnv } from './environment.ts';

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
  /** Where the user-change listener connects: a session of its own, so not through a transaction pooler. */
  readonly databaseListenUrl: string | undefined;
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
  /**
   * Password-hashing threads and how many hashes may wait for one (src/auth/hash-pool.ts), and argon2id's cost
   * for new hashes (src/auth/passwords.ts).
   */
  readonly hashing: {
    readonly workers: number;
    readonly queue: number;
    readonly memoryKiB: number;
    readonly passes: number;
  };
  readonly admin: { readonly username: string; readonly password: string } | undefined;
  /** Audit events older than this many days are purged (src/auth/audit.ts). */
  readonly auditRetentionDays: number;
  readonly movieApi: {
    /** Unset outside production: the bundled sample catalogue is served in-process (src/catalog/sample/). */
    readonly url: string | undefined;
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
  /** How long an Idempotency-Key is remembered and its first answer replayed. */
  readonly idempotencyTtlSeconds: number;
  readonly handlerTimeoutMs: number;
  /** Whole request headers must arrive within this; a slow-header client is disconnected after it. */
  readonly headersTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  /** Server-wide cap on open connections; more are closed as soon as they are accepted. */
  readonly maxConnections: number;
  /** Open connections one client address may hold (0: no limit), so that one address cannot take the whole cap. */
  readonly maxConnectionsPerAddress: number;
  /** A new connection that has sent no byte after this is closed (shorter than the headers timeout). */
  readonly firstByteTimeoutMs: number;
  /** How long a shutdown waits for requests still running before the process exits anyway (exit 1). */
  readonly shutdownTimeoutMs: number;
  /** The longest a request waits on Redis for the rate limiter; past it the limiter lets the request through. */
  readonly redisTimeoutMs: number;
  readonly migrateOnStart: boolean;
  readonly dbStartupTimeoutMs: number;
}

// In development a missing JWT_SECRET must not log everyone out on every restart, so one is kept in the data folder.
function developmentSecret(dataDir: string): { secret: string; created: boolean } {
  if (dataDir.startsWith('memory://')) return { secret: randomBytes(48).toString('base64url'), created: true };
  const file = join(dataDir, 'jwt-secret');
  if (existsSync(file)) return { secret: readFileSync(file, 'utf8').trim(), created: false };
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  return { secret, created: true };
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

/** A comma-separated list; `fallback` when it names nothing. */
function list(raw: string, fallback: string[] = []): string[] {
  const items = raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  return items.length > 0 ? items : fallback;
}

export interface LoadedConfig {
  config: Config;
  warnings: string[];
}

/** The seed's catalogue: production's upstream unless MOVIE_API_URL names another. */
const PRODUCTION_CATALOGUE = 'https://demo.credy.in/api/v1/maya/movies/';

export function loadConfig(env: Env = process.env): LoadedConfig {
  const v = parseVariables(env);
  const str = (name: keyof typeof v) => v[name] as string;
  const opt = (name: keyof typeof v) => v[name] as string | undefined;
  const num = (name: keyof typeof v) => v[name] as number;
  const bool = (name: keyof typeof v) => v[name] as boolean;
  const warnings = typoWarnings(env);
  const nodeEnv = str('NODE_ENV') as Config['env'];
  // `memory://` is PGlite's in-memory database, not a folder name.
  const rawDataDir = str('DATA_DIR');
  const dataDir = rawDataDir.startsWith('memory://') ? rawDataDir : resolve(rawDataDir);

  let secret = opt('JWT_SECRET');
  if (secret === undefined) {
    if (nodeEnv === 'production') throw new ConfigError('JWT_SECRET', 'is required in production');
    const generated = developmentSecret(dataDir);
    secret = generated.secret;
    // Once per data folder: the secret is kept, so later starts and commands need no reminder.
    if (generated.created && !dataDir.startsWith('memory://')) {
      warnings.push(`JWT_SECRET is not set: using a generated development secret kept in ${dataDir}/jwt-secret`);
    }
  }

  const jwksUrl = opt('JWT_JWKS_URL');
  const externalIssuer = opt('JWT_ISSUER');
  const externalAudience = opt('JWT_AUDIENCE');
  if (jwksUrl && (!externalIssuer || !externalAudience)) {
    throw new ConfigError(
      externalIssuer ? 'JWT_AUDIENCE' : 'JWT_ISSUER',
      'is required when JWT_JWKS_URL is set',
    );
  }

  const adminUsername = opt('ADMIN_USERNAME');
  const adminPassword = opt('ADMIN_PASSWORD');
  if ((adminUsername === undefined) !== (adminPassword === undefined)) {
    throw new ConfigError(
      adminUsername ? 'ADMIN_PASSWORD' : 'ADMIN_USERNAME',
      'ADMIN_USERNAME and ADMIN_PASSWORD go together',
    );
  }

  const trustProxyRaw = opt('TRUST_PROXY');
  let trustProxy: boolean | string = false;
  if (trustProxyRaw !== undefined) {
    if (trustProxyRaw === 'true' || trustProxyRaw === '1') trustProxy = true;
    else if (trustProxyRaw !== 'false' && trustProxyRaw !== '0') trustProxy = trustProxyRaw;
  }

  const requestTimeoutMs = num('REQUEST_TIMEOUT_MS');
  const headersTimeoutMs = num('HEADERS_TIMEOUT_MS');
  const maxConnections = opt('MAX_CONNECTIONS') === undefined ? defaultMaxConnections() : num('MAX_CONNECTIONS');

  const host = str('HOST');
  const config: Config = {
    env: nodeEnv,
    host,
    port: num('PORT'),
    logLevel: str('LOG_LEVEL'),
    databaseUrl: opt('DATABASE_URL'),
    dataDir,
    dbPoolSize: num('DB_POOL_SIZE'),
    dbPreparedStatements: bool('DB_PREPARED_STATEMENTS'),
    databaseListenUrl: opt('DATABASE_LISTEN_URL'),
    redisUrl: opt('REDIS_URL'),
    redisKeyPrefix: str('REDIS_KEY_PREFIX'),
    jwt: {
      secret,
      issuer: str('TOKEN_ISSUER'),
      audience: str('TOKEN_AUDIENCE'),
      accessTtlSeconds: num('ACCESS_TOKEN_TTL'),
      refreshTtlSeconds: num('REFRESH_TOKEN_TTL'),
      jwksUrl,
      externalIssuer,
      externalAudience,
    },
    passwordMinLength: num('PASSWORD_MIN_LENGTH'),
    hashing: {
      workers: num('HASH_WORKERS'),
      queue: num('HASH_QUEUE'),
      memoryKiB: num('HASH_MEMORY_KIB'),
      passes: num('HASH_PASSES'),
    },
    admin: adminUsername && adminPassword ? { username: adminUsername, password: adminPassword } : undefined,
    auditRetentionDays: num('AUDIT_RETENTION_DAYS'),
    movieApi: {
      url: opt('MOVIE_API_URL') ?? (nodeEnv === 'production' ? PRODUCTION_CATALOGUE : undefined),
      username: opt('MOVIE_API_USERNAME'),
      password: opt('MOVIE_API_PASSWORD'),
      attemptTimeoutMs: num('CATALOG_ATTEMPT_TIMEOUT_MS'),
      maxAttempts: num('CATALOG_MAX_ATTEMPTS'),
      deadlineMs: num('CATALOG_DEADLINE_MS'),
      breakerThreshold: num('CATALOG_BREAKER_THRESHOLD'),
      breakerHalfOpenMs: num('CATALOG_BREAKER_HALF_OPEN_MS'),
      cacheEntries: num('CATALOG_CACHE_ENTRIES'),
    },
    corsOrigins: list(str('CORS_ORIGINS')),
    publicUrl: opt('PUBLIC_URL')?.replace(/\/+$/, ''),
    allowedHosts: list(str('ALLOWED_HOSTS'), ['localhost', '127.0.0.1', '[::1]', host.includes(':') ? `[${host}]` : host]).map(
      (name) => name.toLowerCase(),
    ),
    bodyLimit: num('BODY_LIMIT'),
    rateLimit: { max: num('RATE_LIMIT_AUTH_MAX'), windowMs: num('RATE_LIMIT_AUTH_WINDOW_MS') },
    loginBackoff: { freeFailures: num('LOGIN_BACKOFF_FREE_FAILURES'), maxDelayMs: num('LOGIN_BACKOFF_MAX_MS') },
    trustProxy,
    workers: num('WORKERS'),
    metricsToken: opt('METRICS_TOKEN'),
    requestCounter: bool('REQUEST_COUNTER'),
    requestTimeoutMs,
    idempotencyTtlSeconds: num('IDEMPOTENCY_TTL_SECONDS'),
    handlerTimeoutMs: num('HANDLER_TIMEOUT_MS'),
    // Node.js refuses a headers timeout longer than the request timeout: the whole request includes its headers.
    headersTimeoutMs: requestTimeoutMs > 0 ? Math.min(headersTimeoutMs, requestTimeoutMs) : headersTimeoutMs,
    keepAliveTimeoutMs: num('KEEP_ALIVE_TIMEOUT_MS'),
    maxConnections,
    maxConnectionsPerAddress: opt('MAX_CONNECTIONS_PER_ADDRESS') === undefined
      ? Math.max(1, Math.floor(maxConnections / 4))
      : num('MAX_CONNECTIONS_PER_ADDRESS'),
    firstByteTimeoutMs: opt('FIRST_BYTE_TIMEOUT_MS') === undefined ? Math.min(5000, headersTimeoutMs) : num('FIRST_BYTE_TIMEOUT_MS'),
    shutdownTimeoutMs: num('SHUTDOWN_TIMEOUT_MS'),
    redisTimeoutMs: num('REDIS_TIMEOUT_MS'),
    migrateOnStart: bool('MIGRATE_ON_START'),
    // A developer's wrong DATABASE_URL should fail in seconds; a container may wait a while for its database.
    dbStartupTimeoutMs: opt('DB_STARTUP_TIMEOUT_MS') === undefined
      ? (nodeEnv === 'development' ? 3000 : 60_000)
      : num('DB_STARTUP_TIMEOUT_MS'),
  };
  if (config.corsOrigins.includes('*')) {
    warnings.push(
      'CORS_ORIGINS contains "*": any site may call this API (credentials are never allowed with "*")',
    );
  }
  return { config: Object.freeze(config), warnings };
}
