/**
 * `npm run bench` — the service against real PostgreSQL and Redis, beside a bare Fastify baseline in the same run.
 *
 *   npm run bench                      # 3 rounds × 10 s per scenario, table + bench/results/<time>.json
 *   npm run bench -- --smoke           # 1 round × 1 s per scenario; fails on any error or non-2xx (npm test runs it)
 *   npm run bench -- --duration 5 --rounds 1 --only actor            # --only: a regular expression on the names
 *   npm run bench -- --ab LOG_LEVEL=warn --only actors/                # A/B: the same scenarios on a second service
 *   npm run bench -- --logins 5                                        # another login rate beside the hot read
 *
 * Env: DATABASE_URL (an admin connection; a fresh `marquee_bench_*` database is created and dropped), REDIS_URL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { hashPassword } from '../src/auth/passwords.ts';
import { createDatabase, createPool } from '../src/db/index.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { startFakeUpstream } from './fake-upstream.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    only: { type: 'string' },
    logins: { type: 'string', default: '20' },
    // KEY=VALUE[,KEY=VALUE]: one more service with these variables, for an A/B of one lever within one run;
    // BENCH_SCRIPT=<another checkout>/src/server.ts runs that code instead (an A/B of a code change).
    ab: { type: 'string', multiple: true, default: [] },
  },
});
const smoke = args.smoke;
const duration = smoke ? 1 : Number(args.duration);
const rounds = smoke ? 1 : Number(args.rounds);
const connections = smoke ? 10 : Number(args.connections);
const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const JWT_SECRET = 'bench-secret-bench-secret-bench-secret-0123456789';
const LOGIN_PASSWORD = 'bench-login-password';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Proc {
  name: string;
  url: string;
  child: ChildProcess;
}

const running: Proc[] = [];

/** The node flags of `npm start` (package.json), so the service is measured as it is run. */
const START_FLAGS = (
  JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }
).scripts.start
  .split(/\s+/)
  .filter((word) => word.startsWith('--'));

async function start(name: string, script: string, env: Record<string, string>): Promise<Proc> {
  const port = await freePort();
  const flags = script.endsWith('server.ts') ? START_FLAGS : [];
  const child = spawn(process.execPath, [...flags, script], {
    cwd: root,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const proc = { name, url, child };
  running.push(proc);
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}${name === 'baseline' ? '/actors/1' : '/health'}`);
      if (res.status < 500) return proc;
    } catch {}
    await sleep(100);
  }
  throw new Error(`${name} did not start`);
}

async function stopAll(): Promise<void> {
  await Promise.all(
    running.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.child.exitCode !== null) return resolve();
          p.child.once('exit', () => resolve());
          p.child.kill('SIGTERM');
        }),
    ),
  );
}

/** RSS in MB of a process and its children (cluster workers). */
function rssMb(pid: number): number[] {
  const read = (p: number) => {
    try {
      const line = readFileSync(`/proc/${p}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
      return line ? Number(line[1]) / 1024 : 0;
    } catch {
      return 0;
    }
  };
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {}
  return children.length > 0 ? children.map(read) : [read(pid)];
}

interface Seeded {
  messageId: number;
  loginUserId: number;
  /** The 200 members who own the collections and the messages. */
  members: { id: number; username: string }[];
}

async function seed(url: string): Promise<Seeded> {
  const { db } = createDatabase({ databaseUrl: url, dataDir: '', poolSize: 2 });
  await migrateToLatest(db);
  const hash = await hashPassword(LOGIN_PASSWORD);
  await sql`insert into users (username, password_hash, role)
    select 'bench-user-' || g, ${hash}, 'member' from generate_series(1, 200) g`.execute(db);
  await sql`insert into users (username, password_hash, role) values ('bench-login', ${hash}, 'casting_assistant')`.execute(
    db,
  );
  await sql`insert into actors (name, age, gender)
    select 'Actor ' || g, 18 + g % 60, (array['M','F','X'])[1 + g % 3] from generate_series(1, 10000) g`.execute(
    db,
  );
  await sql`insert into movies (title, release_date)
    select 'Movie ' || g, date '1950-01-01' + g * 17 from generate_series(1, 1000) g`.execute(db);
  // 1 to 10 actors per movie, spread over all actors.
  await sql`insert into movie_actors (movie_id, actor_id)
    select distinct m, 1 + (m * 7919 + k * 104729) % 10000
    from generate_series(1, 1000) m, generate_series(1, 1 + m % 10) k`.execute(db);
  await sql`insert into messages (author_id, content)
    select u.id, 'Bench message number ' || g
    from generate_series(1, 10000) g
    join users u on u.username = 'bench-user-' || (1 + g % 200)`.execute(db);
  await sql`insert into catalog_movies (uuid, title, description, genres)
    select gen_random_uuid(), 'Catalogue movie ' || g, 'Description ' || g,
           (array['Drama','Comedy','Action','Horror','Romance','Thriller','Documentary'])[1 + g % 7] || ', ' ||
           (array['Crime','Family','Fantasy','History','Music'])[1 + g % 5]
    from generate_series(1, 2000) g`.execute(db);
  await sql`insert into collections (user_id, title, description)
    select u.id, 'Collection ' || c, 'Bench collection'
    from users u, generate_series(1, 50) c where u.username like 'bench-user-%'`.execute(db);
  // Ten distinct catalogue movies per collection, overlapping between collections as real users' would.
  await sql`insert into collection_movies (collection_id, movie_uuid, position)
    select c.id, m.uuid, k
    from (select id, row_number() over (order by id) as n from collections) c
    cross join generate_series(0, 9) k
    join (select uuid, row_number() over (order by uuid) - 1 as i from catalog_movies) m
      on m.i = (c.n * 7 + k * 13) % 2000`.execute(db);
  await sql`analyze`.execute(db);
  const users = await db.selectFrom('users').select(['id', 'username']).orderBy('id').execute();
  const message = await db.selectFrom('messages').select('id').orderBy('id').limit(1).executeTakeFirstOrThrow();
  await db.destroy();
  const loginUserId = users.find((user) => user.username === 'bench-login')?.id;
  if (loginUserId === undefined) throw new Error('seeding lost the login user');
  return {
    messageId: message.id,
    loginUserId,
    members: users.filter((user) => user.username.startsWith('bench-user-')),
  };
}

function sign(payload: Record<string, unknown>): string {
  const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const body = Buffer.from(
    JSON.stringify({ ...payload, iat: now, exp: now + 3600, iss: 'marquee', aud: 'marquee' }),
  ).toString('base64url');
  const signature = createHmac('sha256', JWT_SECRET).update(`${header}.${body}`).digest('base64url');
  return `${header}.${body}.${signature}`;
}

interface Result {
  scenario: string;
  round: number;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** The service's event-loop delay during the scenario (the two actor reads on the single process). */
  loopDelayMs?: { p99: number; max: number };
}

/** A service's /metrics, read once: each series' value by name (NaN when absent). */
async function scrape(url: string): Promise<(series: string) => number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return (series) => Number(new RegExp(`^${series} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
}

/** The event-loop delay since the previous scrape, in ms: prom-client resets its histogram on every scrape. */
async function loopDelay(url: string): Promise<{ p99: number; max: number }> {
  const value = await scrape(url);
  const ms = (series: string) => Math.round(value(series) * 10000) / 10;
  return { p99: ms('nodejs_eventloop_lag_p99_seconds'), max: ms('nodejs_eventloop_lag_max_seconds') };
}

async function load(options: autocannon.Options): Promise<autocannon.Result> {
  return autocannon({ duration, connections, ...options });
}

const record = (scenario: string, round: number, r: autocannon.Result): Result => ({
  scenario,
  round,
  rps: r.requests.average,
  p50: r.latency.p50,
  p99: r.latency.p99,
  non2xx: r.non2xx,
  errors: r.errors + r.timeouts,
});

const medianOf = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : (s[Math.floor((s.length - 1) / 2)] ?? 0);
};

/**
 * A few requests of a scenario before it is measured: a wrong id, token or body fails here with the status and
 * the answer, rather than as a bare non-2xx count after the run.
 */
async function probe(name: string, options: autocannon.Options): Promise<void> {
  let failure: string | undefined;
  const onResponse = (status: number, body: string) => {
    if ((status < 200 || status > 299) && failure === undefined) failure = `${status} ${body.slice(0, 300)}`;
  };
  const requests = (options.requests ?? [{}]).map((request) => ({ ...request, onResponse }));
  const result = await autocannon({ ...options, requests, connections: 1, amount: 5 });
  if (failure !== undefined || result.errors + result.timeouts > 0) {
    throw new Error(`${name}: ${failure ?? `${result.errors + result.timeouts} connection errors`}`);
  }
}

/**
 * Logins at an even LOGINS_PER_SECOND for `duration` seconds, each sent on schedule whether or not the earlier ones
 * have been answered (autocannon's rate limit holds a connection until its answer, and starts all connections on
 * the same tick: bursts, and fewer logins than asked whenever hashing falls behind).
 */
async function logins(url: string, round: number, scenario: string): Promise<Result> {
  const body = JSON.stringify({ username: 'bench-login', password: LOGIN_PASSWORD });
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  const one = async () => {
    const started = performance.now();
    try {
      const res = await fetch(`${url}/api/auth/token/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      await res.arrayBuffer();
      if (res.status < 200 || res.status > 299) non2xx += 1;
      latencies.push(performance.now() - started);
    } catch {
      errors += 1;
    }
  };
  const sent: Promise<void>[] = [];
  const count = LOGINS_PER_SECOND * duration;
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    await sleep(Math.max(0, start + (i * 1000) / LOGINS_PER_SECOND - performance.now()));
    sent.push(one());
  }
  await Promise.all(sent);
  const finished = performance.now();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0);
  return {
    scenario,
    round,
    // Answered logins per second, until the last answer: below the rate asked when hashing fell behind.
    rps: latencies.length / ((finished - start) / 1000),
    p50: at(0.5),
    p99: at(0.99),
    non2xx,
    errors,
  };
}

type Scenario = {
  name: string;
  options: () => autocannon.Options;
  /** The scenario whose req/s this one is compared with in the table. */
  ratioTo?: string;
  /** Read this instance's event-loop delay over the scenario. */
  watch?: Proc;
  /** Log in on this instance at LOGINS_PER_SECOND meanwhile. */
  logins?: Proc;
};

/** The hot read while a second client logs in 20 times a second: scrypt must stay off the event loop. */
const LOGINS_PER_SECOND = Number(args.logins);
const UNDER_LOGINS = `GET /actors/{id} (${LOGINS_PER_SECOND} logins/s)`;
const LOGINS = `POST /api/auth/token/ (${LOGINS_PER_SECOND}/s)`;

async function main(): Promise<void> {
  const name = `marquee_bench_${randomUUID().slice(0, 8)}`;
  const admin = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: createPool(adminUrl, 1) }) });
  await sql`create database ${sql.id(name)}`.execute(admin);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const keyPrefix = `bench:${name}:`;
  const upstream = await startFakeUpstream({
    latencyMs: 20,
    username: 'bench',
    password: 'bench-pass',
    movies: 500,
  });
  try {
    console.error(`seeding ${name} …`);
    const seeded = await seed(databaseUrl);
    const common = {
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: keyPrefix,
      JWT_SECRET,
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
      MOVIE_API_URL: upstream.url,
      MOVIE_API_USERNAME: 'bench',
      MOVIE_API_PASSWORD: 'bench-pass',
      RATE_LIMIT_AUTH_MAX: '1000000',
      MIGRATE_ON_START: 'false',
    };
    // Idle instances cost next to nothing (a counter sync a second), so all four stay up for the whole run.
    const service = await start('service', 'src/server.ts', common);
    const noCounter = await start('service-no-counter', 'src/server.ts', {
      ...common,
      REQUEST_COUNTER: 'false',
    });
    const workers2 = await start('service-workers-2', 'src/server.ts', { ...common, WORKERS: '2' });
    const variants: { label: string; proc: Proc }[] = [];
    for (const spec of args.ab) {
      const { BENCH_SCRIPT: script = 'src/server.ts', ...env } = Object.fromEntries(
        spec.split(',').map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
      );
      variants.push({ label: spec, proc: await start(`service ${spec}`, script, { ...common, ...env }) });
    }
    const baseline = await start('baseline', 'scripts/bench-baseline.ts', {
      DATABASE_URL: databaseUrl,
      JWT_SECRET,
    });

    const assistant = sign({
      sub: String(seeded.loginUserId),
      username: 'bench-login',
      role: 'casting_assistant',
      permissions: ['get:actors', 'get:actor-details', 'get:movies', 'get:movie-details'],
    });
    const memberTokens = seeded.members.map((member) =>
      sign({ sub: String(member.id), username: member.username, role: 'member', permissions: [] }),
    );
    const auth = (token: string) => ({ authorization: `Bearer ${token}` });
    let next = 0;
    const nextActor = () => `/actors/${(next++ % 10000) + 1}`;
    const actorReads = (target: Proc) => (): autocannon.Options => ({
      url: target.url,
      headers: auth(assistant),
      requests: [{ setupRequest: (r) => ({ ...r, path: nextActor() }) }],
    });

    /** The scenarios run against one service instance: the service itself, and each --ab variant. */
    const serviceScenarios = (target: Proc): Scenario[] => [
      { name: 'GET /actors/{id}', options: actorReads(target), watch: target },
      { name: 'GET /health', options: () => ({ url: `${target.url}/health` }) },
      {
        name: 'GET /actors?limit=20',
        options: () => ({ url: `${target.url}/actors?limit=20&page=3`, headers: auth(assistant) }),
      },
      {
        name: 'GET /movies/{id}',
        options: () => ({
          url: target.url,
          headers: auth(assistant),
          requests: [{ setupRequest: (r) => ({ ...r, path: `/movies/${(next++ % 1000) + 1}` }) }],
        }),
      },
      {
        name: 'GET /api/messages/{id}',
        options: () => ({ url: `${target.url}/api/messages/${seeded.messageId}` }),
      },
      {
        name: 'POST /api/messages',
        options: () => ({
          url: `${target.url}/api/messages`,
          method: 'POST',
          headers: { ...auth(memberTokens[0] ?? ''), 'content-type': 'application/json' },
          body: JSON.stringify({ content: 'Benchmark says hello' }),
        }),
      },
      {
        name: 'GET /collection/',
        options: () => ({
          url: target.url,
          requests: [
            {
              setupRequest: (r) => ({
                ...r,
                path: '/collection/',
                headers: { ...r.headers, ...auth(memberTokens[next++ % memberTokens.length] ?? '') },
              }),
            },
          ],
        }),
      },
      {
        name: 'GET /catalog/movies',
        options: () => ({
          url: target.url,
          headers: auth(memberTokens[0] ?? ''),
          requests: [{ setupRequest: (r) => ({ ...r, path: `/catalog/movies?page=${(next++ % 50) + 1}` }) }],
        }),
      },
      {
        name: UNDER_LOGINS,
        options: actorReads(target),
        ratioTo: 'GET /actors/{id}',
        watch: target,
        logins: target,
      },
    ];
    const [actorRead, health, ...others] = serviceScenarios(service) as [Scenario, Scenario, ...Scenario[]];
    const underLogins = others.pop() as Scenario;
    const scenarios: Scenario[] = [
      { name: 'baseline GET /actors/{id}', options: actorReads(baseline) },
      { ...actorRead, ratioTo: 'baseline GET /actors/{id}' },
      health,
      {
        name: 'GET /health (counter off)',
        options: () => ({ url: `${noCounter.url}/health` }),
        ratioTo: 'GET /health',
      },
      ...others,
      { name: 'GET /actors/{id} (WORKERS=2)', options: actorReads(workers2), ratioTo: 'GET /actors/{id}' },
      underLogins,
      // Each variant's scenario is compared with the same scenario on the service.
      ...variants.flatMap(({ label, proc }) =>
        serviceScenarios(proc).map((s) => ({ ...s, name: `${s.name} [${label}]`, ratioTo: s.name })),
      ),
    ];
    const only = args.only === undefined ? undefined : new RegExp(args.only);
    const selected = scenarios.filter((s) => !only || only.test(s.name));
    for (const scenario of selected) await probe(scenario.name, scenario.options());
    for (const { logins: target } of selected) {
      if (!target) continue;
      const res = await fetch(`${target.url}/api/auth/token/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'bench-login', password: LOGIN_PASSWORD }),
      });
      if (res.status !== 200) throw new Error(`${LOGINS}: ${res.status} ${await res.text()}`);
    }

    const results: Result[] = [];
    for (let round = 1; round <= rounds; round++) {
      for (const scenario of selected) {
        // Warm-up: JIT, pools and caches, not measured.
        await autocannon({ ...scenario.options(), duration: smoke ? 1 : 2, connections });
        if (scenario.watch) await loopDelay(scenario.watch.url);
        const loginRun = scenario.logins
          ? logins(scenario.logins.url, round, `${LOGINS}${scenario.name.slice(UNDER_LOGINS.length)}`)
          : undefined;
        const result = record(scenario.name, round, await load(scenario.options()));
        if (scenario.watch) result.loopDelayMs = await loopDelay(scenario.watch.url);
        results.push(result);
        if (loginRun) results.push(await loginRun);
        console.error(`round ${round}: ${scenario.name} done`);
      }
    }

    const rss = {
      service: rssMb(service.child.pid ?? 0),
      'service-no-counter': rssMb(noCounter.child.pid ?? 0),
      'service-workers-2': rssMb(workers2.child.pid ?? 0),
      ...Object.fromEntries(variants.map(({ proc }) => [proc.name, rssMb(proc.child.pid ?? 0)])),
    };
    // The V8 heap in use right after the load (uncollected garbage included): beside RSS, it shows how much of RSS
    // is pages that V8 and malloc freed and kept rather than memory the service holds.
    const heapUsedMb = (await scrape(service.url))('nodejs_heap_size_used_bytes') / 2 ** 20;
    const names = [...new Set(results.map((r) => r.scenario))];
    const summary = names.map((scenario) => {
      const rs = results.filter((r) => r.scenario === scenario);
      return {
        scenario,
        rps: Math.round(medianOf(rs.map((r) => r.rps))),
        p50: medianOf(rs.map((r) => r.p50)),
        p99: medianOf(rs.map((r) => r.p99)),
        non2xx: rs.reduce((s, r) => s + r.non2xx, 0),
        errors: rs.reduce((s, r) => s + r.errors, 0),
      };
    });
    const byName = new Map(summary.map((s) => [s.scenario, s]));
    const ratioTo = new Map(scenarios.map((s) => [s.name, s.ratioTo]));
    console.log(
      `\nMarquee benchmark — ${rounds} round(s) × ${duration}s, ${connections} connections, medians; node ${process.version}`,
    );
    console.log('| scenario | req/s | p50 ms | p99 ms | non-2xx | errors | ratio |');
    console.log('|---|---:|---:|---:|---:|---:|---|');
    for (const s of summary) {
      const baseName = ratioTo.get(s.scenario);
      const base = baseName ? byName.get(baseName) : undefined;
      const ratio = base && base.rps > 0 ? `${(s.rps / base.rps).toFixed(2)}× ${base.scenario}` : '';
      console.log(
        `| ${s.scenario} | ${s.rps} | ${s.p50} | ${s.p99} | ${s.non2xx} | ${s.errors} | ${ratio} |`,
      );
    }
    const ratio = (a: string, b: string) => {
      const x = byName.get(a);
      const y = byName.get(b);
      return x && y && y.rps > 0 ? x.rps / y.rps : null;
    };
    const actor = byName.get('GET /actors/{id}');
    const loaded = byName.get(UNDER_LOGINS);
    const workerRss = Object.values(rss).flat();
    const delays = (scenario: string) => {
      const ds = results.flatMap((r) => (r.scenario === scenario && r.loopDelayMs ? [r.loopDelayMs] : []));
      return ds.length === 0
        ? null
        : { p99: medianOf(ds.map((d) => d.p99)), max: Math.max(...ds.map((d) => d.max)) };
    };
    const loop = { alone: delays('GET /actors/{id}'), underLogins: delays(UNDER_LOGINS) };
    const targets = {
      actorVsBaseline: ratio('GET /actors/{id}', 'baseline GET /actors/{id}'),
      counterCost: ((r) => (r === null ? null : 1 - r))(ratio('GET /health', 'GET /health (counter off)')),
      p99UnderLogins: actor && loaded ? loaded.p99 / Math.max(actor.p99, 1) : null,
      loginsPerSecond: results.some((r) => r.scenario === LOGINS)
        ? medianOf(results.filter((r) => r.scenario === LOGINS).map((r) => r.rps))
        : null,
      rssMb: rss,
      heapUsedMb,
      eventLoopDelayMs: loop,
      nonSuccess: summary.filter((s) => s.non2xx > 0 || s.errors > 0).map((s) => s.scenario),
    };
    const verdict = (ok: boolean | null) => (ok === null ? 'not run' : ok ? 'met' : 'MISSED');
    const check = (x: number | null, ok: (x: number) => boolean) => verdict(x === null ? null : ok(x));
    const fixed = (x: number | null, digits = 2) => (x === null ? 'n/a' : x.toFixed(digits));
    const ms = (d: { p99: number; max: number } | null) => (d ? `p99 ${d.p99} ms, max ${d.max} ms` : 'n/a');
    const { actorVsBaseline, counterCost, p99UnderLogins } = targets;
    console.log(
      [
        '\ntargets (medians):',
        `- GET /actors/{id} ${fixed(actorVsBaseline)}× the baseline (≥ 0.60): ${check(actorVsBaseline, (x) => x >= 0.6)}`,
        `- request counter costs ${counterCost === null ? 'n/a' : (counterCost * 100).toFixed(1)} % on GET /health (≤ 5 %): ${check(counterCost, (x) => x <= 0.05)}`,
        `- GET /actors/{id} p99 ${fixed(p99UnderLogins)}× while logging in (≤ 2): ${check(p99UnderLogins, (x) => x <= 2)}; logins answered ${fixed(targets.loginsPerSecond, 1)}/s of ${LOGINS_PER_SECOND}/s`,
        `- event-loop delay during GET /actors/{id}: ${ms(loop.alone)}; with the logins: ${ms(loop.underLogins)}`,
        `- RSS after the run (≤ 200 MB): ${Object.entries(rss)
          .map(([name, mbs]) => `${name} ${mbs.map((mb) => Math.round(mb)).join('+')}`)
          .join(', ')} MB: ${verdict(workerRss.every((mb) => mb <= 200))}; the service's live heap ${Math.round(heapUsedMb)} MB`,
        `- non-2xx or errors: ${targets.nonSuccess.length === 0 ? 'none' : targets.nonSuccess.join(', ')}`,
      ].join('\n'),
    );
    if (!smoke) {
      mkdirSync(join(root, 'bench/results'), { recursive: true });
      const file = join(root, 'bench/results', `${new Date().toISOString().replaceAll(':', '-')}.json`);
      writeFileSync(
        file,
        `${JSON.stringify({ rounds, duration, connections, node: process.version, summary, results, targets }, null, 2)}\n`,
      );
      console.log(`written ${file}`);
    }
    if (targets.nonSuccess.length > 0) {
      console.error(`scenarios with errors or non-2xx: ${targets.nonSuccess.join(', ')}`);
      process.exitCode = 1;
    }
  } finally {
    await stopAll();
    await upstream.close();
    await sql`drop database if exists ${sql.id(name)} with (force)`.execute(admin);
    await admin.destroy();
    await dropKeys(keyPrefix);
  }
}

/** The counter's and rate limits' keys of this run. */
async function dropKeys(prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const keys: string[] = [];
    const stream = redis.scanStream({ match: `${prefix}*`, count: 1000 });
    for await (const batch of stream) keys.push(...(batch as string[]));
    if (keys.length > 0) await redis.del(...keys);
  } catch (error) {
    console.error(`could not drop the run's Redis keys: ${error instanceof Error ? error.message : error}`);
  } finally {
    redis.disconnect();
  }
}

await main();
