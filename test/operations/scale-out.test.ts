// Three replicas on three hosts (network namespaces) behind nginx, PostgreSQL through PgBouncer in transaction
// mode, Redis shared. Under steady mixed load one replica is SIGKILLed and started again.
import { randomUUID } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import t, { type Test } from 'tap';
import { createDatabase } from '../../src/db/index.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { TEST_JWT_SECRET } from '../helpers/secret.ts';
import { hasRedisServer, startRedis } from '../helpers/redis-server.ts';
import {
  createHosts,
  daemon,
  type Host,
  netnsUnavailable,
  nginxConfig,
  readAccessLog,
  sharedTempDir,
  startPgBouncer,
  waitForPort,
} from '../helpers/scale-out.ts';
import { freePort } from '../helpers/server-process.ts';

const databaseUrl = process.env.DATABASE_URL;
const skip = [
  !databaseUrl && 'DATABASE_URL is not set (PgBouncer fronts the real PostgreSQL)',
  !hasRedisServer && 'redis-server is not installed',
  !existsSync('/usr/sbin/nginx') && 'nginx is not installed (apt-get install nginx)',
  !existsSync('/usr/sbin/pgbouncer') && 'pgbouncer is not installed (apt-get install pgbouncer)',
  !databaseUrl || netnsUnavailable(),
].find((reason) => typeof reason === 'string');

const API_PORT = 3000;
const CLIENTS = 6;
/** Requests of each phase: before the kill, while a replica is down, after it is back. */
const PHASE = 300;
const MAX_REQUESTS = 5000;

interface Outcome {
  method: string;
  status: number;
  /** The message id a 201 acknowledged. */
  id?: number;
}

/** A replica: the service in `host`'s namespace, up once it logs where its docs are. */
async function startReplica(t: Test, host: Host, env: NodeJS.ProcessEnv) {
  const replica = daemon(t, 'ip', ['netns', 'exec', host.ns, process.execPath, 'bin/marquee.js'], env);
  const deadline = Date.now() + 60_000;
  while (!replica.output().includes('API documentation')) {
    if (replica.child.exitCode !== null) throw new Error(`replica in ${host.ns} exited:\n${replica.output()}`);
    if (Date.now() > deadline) throw new Error(`replica in ${host.ns} not up:\n${replica.output()}`);
    await sleep(100);
  }
  return replica;
}

const title = 'SIGKILL one of 3 replicas under load: nginx routes around it, nothing acknowledged is lost';
t.test(title, { skip }, async (t) => {
  const admin = new URL(databaseUrl!);
  const dbName = `marquee_scale_${process.pid}`;
  const root = createDatabase({ databaseUrl: admin.href, dataDir: 'memory://', poolSize: 1 });
  await sql.raw(`create database ${dbName}`).execute(root.db);
  t.teardown(async () => {
    await sql.raw(`drop database if exists ${dbName} with (force)`).execute(root.db);
    await root.db.destroy();
  });
  const direct = new URL(admin.href);
  direct.pathname = `/${dbName}`;
  const { db } = createDatabase({ databaseUrl: direct.href, dataDir: 'memory://', poolSize: 2 });
  t.teardown(() => db.destroy());
  await migrateToLatest(db);

  const hosts = createHosts(t, 3);
  const bouncerPort = await freePort();
  await startPgBouncer(t, hosts, bouncerPort, admin.username);
  const redisPort = await freePort();
  await startRedis(t, { port: redisPort, bind: hosts.map((h) => h.gateway).join(' ') });
  const prefix = `test:${randomUUID()}:`;

  const envFor = (host: Host): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    HOST: host.address,
    PORT: String(API_PORT),
    LOG_LEVEL: 'info',
    JWT_SECRET: TEST_JWT_SECRET,
    DATABASE_URL: `postgres://${admin.username}@${host.gateway}:${bouncerPort}/${dbName}`,
    DB_PREPARED_STATEMENTS: 'false',
    DB_POOL_SIZE: '5',
    REDIS_URL: `redis://${host.gateway}:${redisPort}`,
    REDIS_KEY_PREFIX: prefix,
    MIGRATE_ON_START: 'false',
    TRUST_PROXY: 'true',
    RATE_LIMIT_AUTH_MAX: '1000',
  });
  const replicas = await Promise.all(hosts.map((host) => startReplica(t, host, envFor(host))));

  const dir = sharedTempDir('marquee-nginx-');
  const nginxPort = await freePort();
  writeFileSync(join(dir, 'nginx.conf'), nginxConfig(dir, nginxPort, hosts.map((h) => h.address)));
  const nginx = daemon(t, 'nginx', ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')]);
  await waitForPort('127.0.0.1', nginxPort, 'nginx');
  const base = `http://127.0.0.1:${nginxPort}`;

  const registered = await fetch(`${base}/register/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: `scale-${process.pid}`, password: 'scale-out-password' }),
  });
  t.equal(registered.status, 201, 'a user registers through nginx');
  const { access_token: token } = (await registered.json()) as { access_token: string };

  // Steady mixed load: every client alternates a write (a new message) and a read (a message's page).
  const outcomes: Outcome[] = [];
  const ids: number[] = [];
  let stop = false;
  const client = async (n: number) => {
    for (let i = n; !stop && outcomes.length < MAX_REQUESTS; i++) {
      const write = i % 2 === 0 || ids.length === 0;
      const response = await (write
        ? fetch(`${base}/api/messages`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({ content: `scale-out ${n}.${i}` }),
          })
        : fetch(`${base}/api/messages/${ids[i % ids.length]}`)
      ).then(
        async (res) => ({ status: res.status, body: (await res.text()) || '{}' }),
        () => ({ status: 0, body: '{}' }),
      );
      const outcome: Outcome = { method: write ? 'POST' : 'GET', status: response.status };
      if (write && response.status === 201) {
        outcome.id = (JSON.parse(response.body) as { id: number }).id;
        ids.push(outcome.id);
      }
      outcomes.push(outcome);
    }
  };
  const until = async (count: number) => {
    while (outcomes.length < count && !stop) await sleep(20);
  };
  const load = Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n)));

  await until(PHASE);
  const victim = 1;
  const killedAt = Date.now();
  await replicas[victim]!.stop('SIGKILL');
  const beforeKill = outcomes.length;
  await until(beforeKill + PHASE);
  const whileDown = outcomes.slice(beforeKill);

  const restartedAt = Date.now();
  replicas[victim] = await startReplica(t, hosts[victim]!, envFor(hosts[victim]!));
  const victimAddress = `${hosts[victim]!.address}:${API_PORT}`;
  // Back in rotation once nginx passes it a request it answers (nginx retries it after fail_timeout).
  let recoveredAt = 0;
  for (let i = 0; i < 300 && !recoveredAt; i++) {
    const served = readAccessLog(join(dir, 'access.log')).find(
      (line) => line.at > restartedAt && line.attempts.some((a) => a.upstream === victimAddress && a.status < 500),
    );
    if (served) recoveredAt = served.at;
    else await sleep(100);
  }
  await until(outcomes.length + PHASE);
  stop = true;
  await load;

  // Stop nginx (its log is complete) and the replicas (each hands its count to Redis), then compare.
  await nginx.stop('SIGQUIT');
  const exits = await Promise.all(replicas.map((r) => r.stop('SIGTERM')));
  t.same(exits, replicas.map(() => ({ code: 0, signal: null })), 'the replicas shut down cleanly');

  t.ok(recoveredAt > 0, 'the restarted replica serves requests through nginx again');
  const failures = outcomes.filter((o) => o.status < 200 || o.status >= 300);
  t.ok(
    whileDown.filter((o) => o.status >= 200 && o.status < 300).length > PHASE * 0.9,
    'while a replica is down, the others answer',
  );
  t.ok(failures.length <= CLIENTS, `${failures.length} failed, at most one per client (in flight at the kill)`);
  t.ok(
    failures.every((o) => o.method === 'POST' && o.status === 502),
    'only writes fail (reads are retried on another replica), with 502',
  );

  const acknowledged = outcomes.filter((o) => o.id !== undefined).map((o) => o.id!);
  const stored = new Set(
    (await db.selectFrom('messages').select('id').execute()).map((row) => row.id),
  );
  t.equal(
    acknowledged.filter((id) => !stored.has(id)).length,
    0,
    `all ${acknowledged.length} acknowledged writes are stored`,
  );

  // Attempts nginx passed to a replica: those answered, and those cut off by the kill (a 502 from nginx
  // after the connection was made; refused connections never reached a replica).
  const passed = readAccessLog(join(dir, 'access.log'));
  const attempts = passed.flatMap((line) => line.attempts);
  const answered = attempts.filter((a) => a.status !== 502 && a.status !== 504).length;
  const cutOff = attempts.filter((a) => a.status === 502 && a.upstream === victimAddress).length;
  const redis = new Redis(redisPort, hosts[0]!.gateway);
  t.teardown(() => redis.quit());
  const counted = Number(await redis.get(`${prefix}request-count`));
  t.ok(
    counted >= answered && counted <= answered + cutOff,
    `request counter ${counted}: the ${answered} requests replicas answered, plus at most ${cutOff} cut off`,
  );

  const figures = {
    requests: outcomes.length,
    failures: failures.length,
    recoverySeconds: Number(((recoveredAt - restartedAt) / 1000).toFixed(1)),
    killToRestartSeconds: Number(((restartedAt - killedAt) / 1000).toFixed(1)),
    counted,
    answeredByReplicas: answered,
  };
  t.comment(`scale-out figures: ${JSON.stringify(figures)}`);
});
