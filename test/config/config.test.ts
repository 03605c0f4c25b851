// One module reads and checks the environment; a bad value stops start-up with the variable's name.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { ConfigError, loadConfig } from '../../src/config/index.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'marquee-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const base = { NODE_ENV: 'test', JWT_SECRET: 'a-test-secret-that-is-at-least-32-characters' };

t.test('defaults need nothing set but JWT_SECRET outside development', async (t) => {
  const { config, warnings } = loadConfig({ ...base, DATA_DIR: 'memory://' });
  t.match(config, {
    host: '127.0.0.1',
    port: 3000,
    logLevel: 'info',
    databaseUrl: undefined,
    redisUrl: undefined,
    jwt: { accessTtlSeconds: 3600, refreshTtlSeconds: 604800, jwksUrl: undefined },
    passwordMinLength: 8,
    admin: undefined,
    corsOrigins: [],
  });
  t.same(warnings, []);
  t.ok(Object.isFrozen(config), 'the config cannot be changed after start-up');
});

t.test('the core variables are read into the config', async (t) => {
  const { config } = loadConfig({
    ...base,
    HOST: '0.0.0.0',
    PORT: '8080',
    LOG_LEVEL: 'debug',
    DATABASE_URL: 'postgres://u@db:5432/marquee',
    REDIS_URL: 'redis://cache:6379',
    DATA_DIR: 'memory://',
    ACCESS_TOKEN_TTL: '600',
    REFRESH_TOKEN_TTL: '86400',
    MOVIE_API_URL: 'https://movies.example.com/api/',
    MOVIE_API_USERNAME: 'upstream-user',
    MOVIE_API_PASSWORD: 'upstream-password',
    CORS_ORIGINS: 'https://a.example.com, https://b.example.com',
    ADMIN_USERNAME: 'root',
    ADMIN_PASSWORD: 'root-password',
    PASSWORD_MIN_LENGTH: '12',
  });
  t.match(config, {
    host: '0.0.0.0',
    port: 8080,
    logLevel: 'debug',
    databaseUrl: 'postgres://u@db:5432/marquee',
    redisUrl: 'redis://cache:6379',
    jwt: { accessTtlSeconds: 600, refreshTtlSeconds: 86400 },
    movieApi: {
      url: 'https://movies.example.com/api/',
      username: 'upstream-user',
      password: 'upstream-password',
    },
    corsOrigins: ['https://a.example.com', 'https://b.example.com'],
    admin: { username: 'root', password: 'root-password' },
    passwordMinLength: 12,
  });
});

t.test('a bad value is refused with the name of its variable', async (t) => {
  const cases: [Record<string, string>, string][] = [
    [{ PORT: 'nope' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://db/marquee' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
    [{ REDIS_URL: 'http://cache:6379' }, 'REDIS_URL'],
    [{ MOVIE_API_URL: 'ftp://movies' }, 'MOVIE_API_URL'],
    [{ ACCESS_TOKEN_TTL: '0' }, 'ACCESS_TOKEN_TTL'],
    [{ REFRESH_TOKEN_TTL: '1.5' }, 'REFRESH_TOKEN_TTL'],
    [{ JWT_SECRET: 'too-short' }, 'JWT_SECRET'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
    [{ PASSWORD_MIN_LENGTH: '4' }, 'PASSWORD_MIN_LENGTH'],
    [{ ADMIN_USERNAME: 'root' }, 'ADMIN_PASSWORD'],
    [{ JWT_JWKS_URL: 'https://tenant.auth0.com/.well-known/jwks.json' }, 'JWT_ISSUER'],
  ];
  for (const [env, variable] of cases) {
    let error: unknown;
    try {
      loadConfig({ ...base, DATA_DIR: 'memory://', ...env });
    } catch (caught) {
      error = caught;
    }
    t.ok(error instanceof ConfigError, `${JSON.stringify(env)} is refused`);
    t.match(error, { variable, message: new RegExp(`^${variable}: `) }, `names ${variable}`);
  }
});

t.test('in production a missing JWT_SECRET is fatal', async (t) => {
  const dataDir = tempDir(t);
  t.throws(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: dataDir }), {
    variable: 'JWT_SECRET',
    message: 'JWT_SECRET: is required in production',
  });
  t.notOk(existsSync(join(dataDir, 'jwt-secret')), 'no secret is generated for production');
});

t.test('in development a secret is generated once, kept in the data folder, with one warning', async (t) => {
  const dataDir = tempDir(t);
  const first = loadConfig({ DATA_DIR: dataDir });
  t.equal(first.config.env, 'development', 'NODE_ENV defaults to development');
  const warning = /^JWT_SECRET is not set: using a generated development secret kept in .*\/jwt-secret$/;
  t.match(first.warnings, [warning]);
  const file = join(dataDir, 'jwt-secret');
  t.equal(readFileSync(file, 'utf8'), first.config.jwt.secret);
  t.ok(first.config.jwt.secret.length >= 32);
  t.equal(statSync(file).mode & 0o777, 0o600, 'readable by its owner only');
  const second = loadConfig({ DATA_DIR: dataDir });
  t.equal(second.config.jwt.secret, first.config.jwt.secret, 'the same secret after a restart');
  t.same(second.warnings, [], 'warned once per data folder, not on every start or command');
  const other = loadConfig({ DATA_DIR: tempDir(t) });
  t.not(other.config.jwt.secret, first.config.jwt.secret, 'random, not a built-in default');
});

t.test('the server reads .env and stops on a bad value, naming the variable', async (t) => {
  const cwd = tempDir(t);
  writeFileSync(join(cwd, '.env'), 'PORT=not-a-port\n');
  const run = spawnSync(process.execPath, [join(ROOT, 'src', 'server.ts')], {
    cwd,
    env: { PATH: process.env.PATH, ...base, DATA_DIR: join(cwd, 'data') },
    encoding: 'utf8',
    timeout: 60_000,
  });
  t.equal(run.status, 1, 'exit code 1');
  t.match(run.stderr, /configuration error: PORT: must be an integer from 0 to 65535, got "not-a-port"/);
  t.notOk(existsSync(join(cwd, 'data')), 'stopped before opening any database');
});

t.test('a variable that looks like ours but is not is named with the closest real one; others pass', async (t) => {
  const common = {
    HOME: '/root',
    PATH: '/usr/bin',
    HOSTNAME: 'vm',
    TERM: 'xterm',
    PWD: '/',
    USER: 'root',
    LANG: 'C.UTF-8',
    SHELL: '/bin/bash',
    NODE_OPTIONS: '--enable-source-maps',
    npm_config_cache: '/root/.npm',
    PGHOST: 'db',
    OTEL_SERVICE_NAME: 'marquee',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
  };
  t.same(loadConfig({ ...base, DATA_DIR: 'memory://', ...common }).warnings, [], 'the usual environment is quiet');
  const { warnings } = loadConfig({
    ...base,
    DATA_DIR: 'memory://',
    REDIS_ULR: 'redis://cache',
    JWT_SECRETS: 'x',
    MARQUEE_WHATEVER: '1',
  });
  t.same(warnings, [
    'REDIS_ULR is not a Marquee variable and is ignored; did you mean REDIS_URL?',
    'JWT_SECRETS is not a Marquee variable and is ignored; did you mean JWT_SECRET?',
    'MARQUEE_WHATEVER is not a Marquee variable and is ignored; see docs/configuration.md for the names',
  ]);
});
