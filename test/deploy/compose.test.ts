// docker-compose.yml, parsed here and, where a Compose is installed, by Compose itself.
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { parse } from 'yaml';
import { type Env, loadConfig } from '../../src/config/index.ts';
import { checkVariables, read, ROOT, SHUTDOWN_SECONDS, scripts, words } from './fixtures.ts';

/** Compose's `${VAR}`, `${VAR:-default}` and `${VAR:?error}`; required ones get `given`. */
function interpolate(value: string, given: Record<string, string>): string {
  return value.replace(/\$\{([A-Z_]+)(?::([-?])((?:[^{}]|\{[^}]*\})*))?\}/g, (_, name, kind, rest) => {
    if (given[name] !== undefined) return given[name] as string;
    if (kind === '-') return rest;
    throw new Error(`\${${name}} is required by docker-compose.yml (${rest}); the test gives no value`);
  });
}

/** Top-level keys Compose v1.29 and v2 both accept (v1 rejects `name`). */
const COMPOSE_TOP_LEVEL = ['services', 'volumes', 'networks', 'configs', 'secrets'];

const composeEnv = { ...process.env, JWT_SECRET: 'compose-test-secret-0123456789-0123456789' };
const composeCommands = [['docker', 'compose'], ['docker-compose']].filter(
  ([command, ...args]) => spawnSync(command!, [...args, 'version'], { env: composeEnv }).status === 0,
);
const noCompose =
  composeCommands.length === 0 &&
  'neither `docker compose` (v2) nor docker-compose (v1.29) is installed; the next test checks the structure';

t.test('docker-compose.yml: `config` of each Compose here accepts it', { skip: noCompose }, async (t) => {
  const env = composeEnv;
  for (const [command, ...args] of composeCommands) {
    const run = spawnSync(command!, [...args, '-f', 'docker-compose.yml', 'config', '-q'], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
    });
    t.equal(run.status, 0, `${[command, ...args].join(' ')} config accepts it ${run.stderr}`);
  }
});

t.test('docker-compose.yml: PostgreSQL, Redis, one migration run, scalable API behind a proxy', async (t) => {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as {
    services: Record<string, Record<string, any>>;
  };
  for (const key of Object.keys(compose)) {
    t.ok(COMPOSE_TOP_LEVEL.includes(key) || key.startsWith('x-'), `top-level ${key}: Compose v1 and v2 take it`);
  }
  const { services } = compose;
  const secret = 'compose-test-secret-0123456789-0123456789';
  const envOf = (service: string): Env =>
    Object.fromEntries(
      Object.entries(services[service]?.environment ?? {}).map(([k, v]) => [
        k,
        interpolate(String(v), { JWT_SECRET: secret }),
      ]),
    );
  t.throws(() => interpolate(String(services.api?.environment.JWT_SECRET), {}), 'JWT_SECRET must be given');
  const admin = { ADMIN_USERNAME: 'boss', ADMIN_PASSWORD: 'a-long-admin-password' };
  const adminEnv = Object.fromEntries(
    Object.entries(services.api?.environment ?? {}).map(([k, v]) => [
      k,
      interpolate(String(v), { JWT_SECRET: secret, ...admin }),
    ]),
  );
  t.same(
    loadConfig(adminEnv).config.admin,
    { username: 'boss', password: 'a-long-admin-password' },
    'ADMIN_USERNAME/ADMIN_PASSWORD given to compose reach the api',
  );
  t.match(read('docker-compose.yml'), /docker compose .*run --rm api npm run users -- /, 'the users command');

  const api = services.api as Record<string, any>;
  const config = checkVariables(t, envOf('api'), 'api');
  t.same(envOf('migrate'), envOf('api'), 'migrate runs with the same settings');
  t.same(
    services.migrate?.command,
    words(scripts['db:migrate'] as string),
    'migrate runs `npm run db:migrate`',
  );
  t.equal(services.migrate?.restart, 'no');
  t.equal(api.depends_on?.migrate?.condition, 'service_completed_successfully', 'replicas start after it');
  t.notOk(api.ports, 'no host port on api: `--scale api=N` replicas would fight over it');
  t.same(api.expose, [String(config.port)]);
  t.ok(api.init, 'an init process reaps children and forwards signals');
  const grace = Number(/^(\d+)s$/.exec(String(api.stop_grace_period))?.[1]);
  t.ok(
    grace > SHUTDOWN_SECONDS,
    `stop_grace_period ${grace}s outlasts the ${SHUTDOWN_SECONDS}s shutdown bound`,
  );

  const database = new URL(config.databaseUrl as string);
  const postgres = services[database.hostname];
  t.ok(postgres, `DATABASE_URL points at the ${database.hostname} service`);
  t.equal(database.username, postgres?.environment.POSTGRES_USER);
  t.equal(database.pathname, `/${postgres?.environment.POSTGRES_DB}`);
  t.ok(services[new URL(config.redisUrl as string).hostname], 'REDIS_URL points at a service');
  t.same(api.depends_on?.redis, { condition: 'service_healthy' });
  t.same(services.migrate?.depends_on?.[database.hostname], { condition: 'service_healthy' });

  const proxy = services.proxy as Record<string, any>;
  t.ok(proxy.ports?.length, 'the proxy is what the host reaches');
  const mount = (proxy.volumes as string[]).find((v) => v.includes('nginx'))?.split(':')[0] as string;
  const nginx = read(mount);
  t.match(
    nginx,
    new RegExp(`server api:${config.port} resolve;`),
    'nginx spreads requests over the api replicas',
  );
  t.match(nginx, /proxy_set_header X-Forwarded-For \$remote_addr;/, 'nginx overwrites X-Forwarded-For');
  t.not(config.trustProxy, false, 'so the API may trust it (TRUST_PROXY) and rate-limit real clients');
  t.match(nginx, new RegExp(`client_max_body_size ${config.bodyLimit / 1024 / 1024}m;`), 'same body limit');
});
