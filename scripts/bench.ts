/**
 * `npm run bench` — the service against real PostgreSQL and Redis, beside a bare Fastify baseline in the same run.
 *
 *   npm run bench                      # 3 rounds × 10 s per scenario, table + bench/results/<time>.json
 *   npm run bench -- --smoke           # 1 round × 1 s per scenario; fails on any error or non-2xx (npm test runs it)
 *   npm run bench -- --duration 5 --rounds 1 --only actor
 *
 * Env: DATABASE_URL (an admin connection; a fresh `marquee_bench_*` database is created and dropped), REDIS_URL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
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

async function start(name: string, script: string, env: Record<string, string>): Promise<Proc> {
  const port = await freePort();
  const child = spawn(process.execPath, [script], {
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

async function seed(url: string): Promise<{ messageId: number; collectionUserToken: string }> {
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
    select 1 + g % 200, 'Bench message number ' || g from generate_series(1, 10000) g`.execute(db);
  await sql`insert into catalog_movies (uuid, title, description, genres)
    select gen_random_uuid(), 'Catalogue movie ' || g, 'Description ' || g,
           (array['Drama','Comedy','Action','Horror','Romance','Thriller','Documentary'])[1 + g % 7] || ', ' ||
           (array['Crime','Family','Fantasy','History','Music'])[1 + g % 5]
    from generate_series(1, 2000) g`.execute(db);
  await sql`insert into collections (user_id, title, description)
    select u, 'Collection ' || c, 'Bench collection' from generate_series(1, 200) u, generate_series(1, 50) c`.execute(
    db,
  );
  // Ten distinct catalogue movies per collection, overlapping between collections as real users' would.
  await sql`insert into collection_movies (collection_id, movie_uuid, position)
    select c.id, m.uuid, k
    from (select id, row_number() over (order by id) as n from collections) c
    cross join generate_series(0, 9) k
    join (select uuid, row_number() over (order by uuid) - 1 as i from catalog_movies) m
      on m.i = (c.n * 7 + k * 13) % 2000`.execute(db);
  await sql`analyze`.execute(db);
  const message = await sql<{ id: number }>`select min(id) as id from messages`.execute(db);
  await db.destroy();
  return { messageId: message.rows[0]?.id ?? 1, collectionUserToken: '' };
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
}

async function load(options: autocannon.Options): Promise<autocannon.Result> {
  return autocannon({ duration, connections, ...options });
}

const medianOf = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : (s[Math.floor((s.length - 1) / 2)] ?? 0);
};

async function main(): Promise<void> {
  const name = `marquee_bench_${randomUUID().slice(0, 8)}`;
  const admin = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: createPool(adminUrl, 1) }) });
  await sql`create database ${sql.id(name)}`.execute(admin);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const upstream = await startFakeUpstream({
    latencyMs: 20,
    username: 'bench',
    password: 'bench-pass',
    movies: 500,
  });
  try {
    console.error(`seeding ${name} …`);
    const { messageId } = await seed(databaseUrl);
    const common = {
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: `bench:${name}:`,
      JWT_SECRET,
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
      MOVIE_API_URL: upstream.url,
      MOVIE_API_USERNAME: 'bench',
      MOVIE_API_PASSWORD: 'bench-pass',
      RATE_LIMIT_AUTH_MAX: '1000000',
      MIGRATE_ON_START: 'false',
    };
    const service = await start('service', 'src/server.ts', common);
    const noCounter = await start('service-no-counter', 'src/server.ts', {
      ...common,
      REQUEST_COUNTER: 'false',
    });
    const workers2 = await start('service-workers-2', 'src/server.ts', { ...common, WORKERS: '2' });
    const baseline = await start('baseline', 'scripts/bench-baseline.ts', {
      DATABASE_URL: databaseUrl,
      JWT_SECRET,
    });
    for (const p of [noCounter, workers2]) p.child.kill('SIGSTOP');

    const assistant = sign({
      sub: '201',
      username: 'bench-login',
      role: 'casting_assistant',
      permissions: ['get:actors', 'get:actor-details', 'get:movies', 'get:movie-details'],
    });
    const member = (id: number) =>
      sign({ sub: String(id), username: `bench-user-${id}`, role: 'member', permissions: [] });
    const auth = (token: string) => ({ authorization: `Bearer ${token}` });
    let actorId = 0;
    const nextActor = () => `/actors/${(actorId++ % 10000) + 1}`;

    type Scenario = {
      name: string;
      target: () => Proc;
      options: () => autocannon.Options;
      baselineFor?: string;
    };
    const scenarios: Scenario[] = [
      {
        name: 'baseline GET /actors/{id}',
        target: () => baseline,
        options: () => ({
          url: baseline.url,
          headers: auth(assistant),
          requests: [{ setupRequest: (r) => ({ ...r, path: nextActor() }) }],
        }),
      },
      {
        name: 'GET /actors/{id}',
        target: () => service,
        baselineFor: 'baseline GET /actors/{id}',
        options: () => ({
          url: service.url,
          headers: auth(assistant),
          requests: [{ setupRequest: (r) => ({ ...r, path: nextActor() }) }],
        }),
      },
      { name: 'GET /health', target: () => service, options: () => ({ url: `${service.url}/health` }) },
      {
        name: 'GET /health (counter off)',
        target: () => noCounter,
        baselineFor: 'GET /health',
        options: () => ({ url: `${noCounter.url}/health` }),
      },
      {
        name: 'GET /actors?limit=20',
        target: () => service,
        options: () => ({ url: `${service.url}/actors?limit=20&page=3`, headers: auth(assistant) }),
      },
      {
        name: 'GET /movies/{id}',
        target: () => service,
        options: () => ({
          url: service.url,
          headers: auth(assistant),
          requests: [{ setupRequest: (r) => ({ ...r, path: `/movies/${(actorId++ % 1000) + 1}` }) }],
        }),
      },
      {
        name: 'GET /api/messages/{id}',
        target: () => service,
        options: () => ({ url: `${service.url}/api/messages/${messageId}` }),
      },
      {
        name: 'POST /api/messages',
        target: () => service,
        options: () => ({
          url: `${service.url}/api/messages`,
          method: 'POST',
          headers: { ...auth(member(1)), 'content-type': 'application/json' },
          body: JSON.stringify({ content: 'Benchmark says hello' }),
        }),
      },
      {
        name: 'GET /collection/',
        target: () => service,
        options: () => ({
          url: service.url,
          requests: [
            {
              setupRequest: (r) => ({
                ...r,
                path: '/collection/',
                headers: { ...r.headers, ...auth(member((actorId++ % 200) + 1)) },
              }),
            },
          ],
        }),
      },
      {
        name: 'GET /catalog/movies',
        target: () => service,
        options: () => ({
          url: service.url,
          headers: auth(member(1)),
          requests: [
            { setupRequest: (r) => ({ ...r, path: `/catalog/movies?page=${(actorId++ % 50) + 1}` }) },
          ],
        }),
      },
      {
        name: 'GET /actors/{id} (WORKERS=2)',
        target: () => workers2,
        baselineFor: 'GET /actors/{id}',
        options: () => ({
          url: workers2.url,
          headers: auth(assistant),
          requests: [{ setupRequest: (r) => ({ ...r, path: nextActor() }) }],
        }),
      },
    ];
    const selected = scenarios.filter((s) => !args.only || s.name.includes(args.only));
    const results: Result[] = [];
    const loginResults: Result[] = [];
    const record = (scenario: string, round: number, r: autocannon.Result): Result => ({
      scenario,
      round,
      rps: r.requests.average,
      p50: r.latency.p50,
      p99: r.latency.p99,
      non2xx: r.non2xx,
      errors: r.errors + r.timeouts,
    });

    for (let round = 1; round <= rounds; round++) {
      for (const scenario of selected) {
        const target = scenario.target();
        if (target !== service && target !== baseline) target.child.kill('SIGCONT');
        // Warm-up: JIT, pools and caches, not measured.
        await autocannon({ ...scenario.options(), duration: smoke ? 1 : 2, connections });
        results.push(record(scenario.name, round, await load(scenario.options())));
        if (target !== service && target !== baseline) target.child.kill('SIGSTOP');
        console.error(`round ${round}: ${scenario.name} done`);
      }
      if (!args.only || 'logins'.includes(args.only) || args.only.includes('actor')) {
        // The hot read while a second client logs in 20 times a second: scrypt must stay off the event loop.
        const logins = autocannon({
          url: `${service.url}/api/auth/token/`,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'bench-login', password: LOGIN_PASSWORD }),
          connections: 2,
          overallRate: 20,
          duration,
        });
        const reads = await load({
          url: service.url,
          headers: auth(assistant),
          requests: [{ setupRequest: (r) => ({ ...r, path: nextActor() }) }],
        });
        results.push(record('GET /actors/{id} (20 logins/s)', round, reads));
        loginResults.push(record('POST /api/auth/token/ (20/s)', round, await logins));
      }
    }

    for (const p of [noCounter, workers2]) p.child.kill('SIGCONT');
    const rss = {
      service: rssMb(service.child.pid ?? 0),
      'service-workers-2': rssMb(workers2.child.pid ?? 0),
    };
    const all = [...results, ...loginResults];
    const names = [...new Set(all.map((r) => r.scenario))];
    const summary = names.map((scenario) => {
      const rs = all.filter((r) => r.scenario === scenario);
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
    const ratioBase: Record<string, string> = {
      'GET /actors/{id}': 'baseline GET /actors/{id}',
      'GET /health (counter off)': 'GET /health',
      'GET /actors/{id} (WORKERS=2)': 'GET /actors/{id}',
      'GET /actors/{id} (20 logins/s)': 'GET /actors/{id}',
    };
    console.log(
      `\nMarquee benchmark — ${rounds} round(s) × ${duration}s, ${connections} connections, medians; node ${process.version}`,
    );
    console.log('| scenario | req/s | p50 ms | p99 ms | non-2xx | errors | ratio |');
    console.log('|---|---:|---:|---:|---:|---:|---|');
    for (const s of summary) {
      const base = ratioBase[s.scenario] ? byName.get(ratioBase[s.scenario] as string) : undefined;
      const ratio = base && base.rps > 0 ? `${(s.rps / base.rps).toFixed(2)}× ${base.scenario}` : '';
      console.log(
        `| ${s.scenario} | ${s.rps} | ${s.p50} | ${s.p99} | ${s.non2xx} | ${s.errors} | ${ratio} |`,
      );
    }
    const actor = byName.get('GET /actors/{id}');
    const loaded = byName.get('GET /actors/{id} (20 logins/s)');
    const health = byName.get('GET /health');
    const off = byName.get('GET /health (counter off)');
    const targets = {
      actorVsBaseline:
        actor && byName.get('baseline GET /actors/{id}')
          ? actor.rps / (byName.get('baseline GET /actors/{id}')?.rps ?? 1)
          : null,
      counterCost: health && off ? 1 - health.rps / off.rps : null,
      p99UnderLogins: actor && loaded ? loaded.p99 / Math.max(actor.p99, 1) : null,
      rssMb: rss,
    };
    console.log(
      `\ntargets: GET /actors/{id} ${targets.actorVsBaseline?.toFixed(2)}× baseline (≥ 0.60); counter cost ${((targets.counterCost ?? 0) * 100).toFixed(1)} % (≤ 5 %); p99 under logins ${targets.p99UnderLogins?.toFixed(2)}× (≤ 2); worker RSS ${JSON.stringify(rss)} MB (≤ 200)`,
    );
    if (!smoke) {
      mkdirSync(`${root}/bench/results`, { recursive: true });
      const file = `${root}/bench/results/${new Date().toISOString().replaceAll(':', '-')}.json`;
      writeFileSync(
        file,
        `${JSON.stringify({ rounds, duration, connections, node: process.version, summary, results: all, targets }, null, 2)}\n`,
      );
      console.log(`written ${file}`);
    }
    const failures = summary.filter((s) => s.non2xx > 0 || s.errors > 0);
    if (failures.length > 0) {
      console.error(`scenarios with errors or non-2xx: ${failures.map((f) => f.scenario).join(', ')}`);
      process.exitCode = 1;
    }
  } finally {
    await stopAll();
    await upstream.close();
    await sql`drop database if exists ${sql.id(name)} with (force)`.execute(admin);
    await admin.destroy();
  }
}

await main();
