/**
 * `npm run bench` — the service against real PostgreSQL and Redis, beside an honest baseline in the same run
 * (scripts/bench-baseline.ts), then the same reads over 1×, 10× and 100× the data.
 *
 *   npm run bench                             # everything, about 10 minutes; table + bench/results/<time>.json
 *   npm run bench -- --smoke                  # 1 s per scenario, scales 1 and 2; fails on any error or non-2xx
 *   npm run bench -- --no-scale --only actor  # the service scenarios only; --only: a regular expression on names
 *   npm run bench -- --scale-only --scale 1 --scale 10   # the scale table only, for these multiples
 *   npm run bench -- --ab LOG_LEVEL=warn --only '^(baseline )?GET /actors/\{id\}'   # A/B of one setting
 *   npm run bench -- --cpu-prof --no-scale    # also writes the service's CPU profile to bench/profiles/
 *   npm run bench -- --deep-pages             # only: first vs. deep cursor page over 1 M messages (bench/deep-pages.ts)
 *
 * Env: DATABASE_URL (an admin connection; throwaway `marquee_bench_*` databases are created and dropped), REDIS_URL.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createScratchDatabase } from '../test/helpers/database.ts';
import { type Measured, pickDriver, probe, run } from './bench/load.ts';
import { loopDelay, type Proc, root, rssMb, scrape, start, stopAll, withCpu } from './bench/processes.ts';
import { runDeepPages } from './bench/deep-pages.ts';
import { measureScales } from './bench/scale.ts';
import { fixed, printScaleTable, printTable, ratio, named, type Result, writeResults } from './bench/report.ts';
import {
  ACTOR_READ,
  actorReads,
  BASELINE,
  JWT_SECRET,
  logins,
  type Scenario,
  serviceScenarios,
  tokensFor,
} from './bench/scenarios.ts';
import { LOGIN_PASSWORD, type Seeded, seed } from './bench/seed.ts';
import { startFakeUpstream } from '../src/catalog/sample/upstream.ts';
import { commandLine } from './cli.ts';

const USAGE = `usage: npm run bench [-- options]
  --smoke                 1 s per scenario, scales 1 and 2; fails on any error or non-2xx
  --duration S, --rounds N, --connections N, --logins N   per scenario (8, 3, 50, 20)
  --only REGEX            the scenarios whose names match
  --ab KEY=VALUE[,…]      one more service with these variables (an A/B of one setting; repeatable)
  --scale N …, --scale-duration S, --scale-rounds N, --no-scale, --scale-only   the data-growth table
  --driver NAME, --cpu-prof, --together   load generator, CPU profile, scenarios loaded at the same time
  --deep-pages            only: the first and a deep cursor page over 1 M messages
Env: DATABASE_URL (an admin connection), REDIS_URL. The whole run takes about 10 minutes.`;

const { values: args } = commandLine(USAGE, {
    smoke: { type: 'boolean', default: false },
    duration: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    only: { type: 'string' },
    logins: { type: 'string', default: '30' },
    // How long the login stream (and the read measured beside it) lasts in each round, in seconds.
    'login-duration': { type: 'string', default: '60' },
    // KEY=VALUE[,KEY=VALUE]: one more service with these variables, for an A/B of one lever within one run;
    // BENCH_SCRIPT=<another checkout>/src/server.ts runs that code instead (an A/B of a code change);
    // BENCH_NODE_FLAGS='--flag=1 --other' adds node flags after npm start's own (the last of a flag wins).
    ab: { type: 'string', multiple: true, default: [] },
    scale: { type: 'string', multiple: true, default: ['1', '10', '100'] },
    'scale-duration': { type: 'string', default: '5' },
    'scale-rounds': { type: 'string', default: '2' },
    'no-scale': { type: 'boolean', default: false },
    'scale-only': { type: 'boolean', default: false },
    driver: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    // Each round loads the selected scenarios at the same time, one wrk each: they share whatever the machine
    // gives in that second, so a noisy host's drift cancels out of their ratios (A/B of small levers).
    together: { type: 'boolean', default: false },
    'deep-pages': { type: 'boolean', default: false },
});
const smoke = args.smoke;
const duration = smoke ? 1 : Number(args.duration);
const rounds = smoke ? 1 : Number(args.rounds);
const connections = smoke ? 10 : Number(args.connections);
const scaleDuration = smoke ? 1 : Number(args['scale-duration']);
const scaleRounds = smoke ? 1 : Number(args['scale-rounds']);
// 1× is always measured: it is what the other scales are compared with.
const scales = args['no-scale'] ? [] : smoke ? [1, 2] : [...new Set([1, ...args.scale.map(Number)])].sort((a, b) => a - b);
const runMain = !args['scale-only'];
const loginRate = Number(args.logins);
const loginDuration = smoke ? 1 : Number(args['login-duration']);
const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const driver = pickDriver(args.driver);
const UNDER_LOGINS = `${ACTOR_READ} (${loginRate} logins/s)`;
const LOGINS = `POST /api/auth/token/ (${loginRate}/s)`;
const UPSTREAM_PAGES = 50;

/** Set by Ctrl-C: the scenario that was running fails as its service stops, and that is no error to report. */
let interrupted = false;

async function main(): Promise<void> {
  const run_ = randomUUID().slice(0, 8);
  const keyPrefix = `bench:${run_}:`;
  const drops: (() => Promise<void>)[] = [];
  const upstream = await startFakeUpstream({ latencyMs: 20, username: 'bench', password: 'bench-pass', movies: 500 });
  let cleaning: Promise<void> | undefined;
  const cleanUp = () =>
    (cleaning ??= (async () => {
      await stopAll();
      await upstream.close();
      for (const drop of drops) await drop();
      await dropKeys(keyPrefix);
    })());
  // Ctrl-C mid-run still stops the services and drops the throwaway databases.
  process.once('SIGINT', () => {
    interrupted = true;
    console.error('interrupted: cleaning up');
    void cleanUp().finally(() => process.exit(130));
  });
  try {
    const needed = [...new Set([...(runMain ? [1] : []), ...scales])].sort((a, b) => a - b);
    const data = new Map<number, { url: string; seeded: Seeded }>();
    for (const scale of needed) {
      const started = performance.now();
      const { url, drop } = await createScratchDatabase(adminUrl, `marquee_bench_${run_}_${scale}x_`);
      drops.push(drop);
      data.set(scale, { url, seeded: await seed(url, scale) });
      console.error(`seeded ${scale}× in ${((performance.now() - started) / 1000).toFixed(0)} s: ${new URL(url).pathname.slice(1)}`);
    }
    const common = (databaseUrl: string) => ({
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
    });
    const profile = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${join(root, 'bench/profiles')}`] : [];
    // One service per data set; the 1× one also serves every other scenario. Idle instances cost next to nothing.
    const services = new Map<number, Proc>();
    for (const [scale, { url }] of data) {
      services.set(scale, await start(`service ${scale}×`, 'src/server.ts', common(url), { nodeFlags: scale === 1 ? profile : [] }));
    }
    // Requests each process answered (warm-ups included), to turn a CPU profile into time per request.
    const servedBy = new Map<string, number>();
    const served = <M extends Measured>(url: string, m: M): M => {
      servedBy.set(url, (servedBy.get(url) ?? 0) + m.requests);
      return m;
    };
    const results: Result[] = [];
    const ratioTo = new Map<string, string | undefined>();
    const rss: Record<string, number[]> = {};
    const extra: Proc[] = [];

    if (runMain) {
      const { url, seeded } = data.get(1)!;
      const service = services.get(1)!;
      const baseline = await start('baseline', 'scripts/bench-baseline.ts', { DATABASE_URL: url, JWT_SECRET }, { nodeFlags: profile });
      if (profile.length > 0) console.error(`profiling baseline: pid ${baseline.child.pid}`);
      const variants: { label: string; proc: Proc }[] = [];
      for (const spec of args.ab) {
        const { BENCH_SCRIPT: script = 'src/server.ts', BENCH_NODE_FLAGS: flags = '', ...env } = Object.fromEntries(
          spec.split(',').map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
        );
        const nodeFlags = [...profile, ...flags.split(' ').filter(Boolean)];
        const proc = await start(`service ${spec}`, script, { ...common(url), ...env }, { nodeFlags });
        variants.push({ label: spec, proc });
        if (profile.length > 0) console.error(`profiling ${proc.name}: pid ${proc.child.pid}`);
      }
      const pidOf = new Map([service, baseline, ...variants.map((v) => v.proc)].map((p) => [p.url, p.child.pid ?? 0]));
      const [actorRead, ...others] = serviceScenarios(service, seeded, UPSTREAM_PAGES) as [Scenario, ...Scenario[]];
      const scenarios: Scenario[] = [
        { name: BASELINE, load: actorReads(baseline, seeded, tokensFor(seeded).assistant) },
        { ...actorRead, ratioTo: BASELINE },
        ...others,
        { ...actorRead, name: UNDER_LOGINS, ratioTo: ACTOR_READ, logins: service },
        ...variants.flatMap(({ label, proc }) => {
          const own = serviceScenarios(proc, seeded, UPSTREAM_PAGES) as [Scenario, ...Scenario[]];
          return [
            ...own.map((s) => ({ ...s, name: `${s.name} [${label}]`, ratioTo: s.name })),
            { ...own[0], name: `${UNDER_LOGINS} [${label}]`, ratioTo: `${ACTOR_READ} [${label}]`, logins: proc },
          ];
        }),
      ];
      const only = args.only === undefined ? undefined : new RegExp(args.only);
      const selected = scenarios.filter((s) => !only || only.test(s.name));
      for (const s of scenarios) ratioTo.set(s.name, s.ratioTo);
      if (args.together && selected.some((s) => s.logins)) throw new Error('--together: no login scenarios');
      for (const s of selected) await probe(s.name, s.load);
      for (const { logins: target } of selected.filter((s) => s.logins)) {
        const res = await fetch(`${target!.url}/api/auth/token/`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'bench-login', password: LOGIN_PASSWORD }),
        });
        if (res.status !== 200) throw new Error(`${LOGINS}: ${res.status} ${await res.text()}`);
      }
      for (let round = 1; round <= rounds && args.together; round++) {
        await Promise.all(selected.map((s) => run(driver, s.load, round === 1 ? 2 : 1, connections)));
        const measured = await Promise.all(
          selected.map((s) => withCpu(pidOf.get(s.load.url) ?? 0, () => run(driver, s.load, duration, connections))),
        );
        selected.forEach((scenario, i) => {
          results.push({ scenario: scenario.name, round, ...served(scenario.load.url, measured[i]!) });
        });
        console.error(`round ${round}: ${selected.length} scenarios together done`);
      }
      for (let round = 1; round <= rounds && !args.together; round++) {
        // Each round starts one scenario later, so no scenario always runs after the same one.
        const shift = (round - 1) % selected.length;
        for (const scenario of [...selected.slice(shift), ...selected.slice(0, shift)]) {
          // Warm-up: JIT, pools and caches, not measured.
          served(scenario.load.url, await run(driver, scenario.load, smoke ? 1 : 2, connections));
          if (scenario.watch) await loopDelay(scenario.watch.url);
          const seconds = scenario.logins ? loginDuration : duration;
          const loginRun = scenario.logins ? logins(scenario.logins.url, loginRate, seconds) : undefined;
          const pid = pidOf.get(scenario.load.url) ?? 0;
          const measured = served(scenario.load.url, await withCpu(pid, () => run(driver, scenario.load, seconds, connections)));
          const result: Result = { scenario: scenario.name, round, ...measured };
          if (scenario.watch) result.loopDelayMs = await loopDelay(scenario.watch.url);
          results.push(result);
          const stream = `${LOGINS}${scenario.name.slice(UNDER_LOGINS.length)}`;
          if (loginRun) results.push({ scenario: stream, round, ...(await loginRun) });
          console.error(`round ${round}: ${scenario.name} done`);
        }
      }
      extra.push(baseline, ...variants.map((v) => v.proc));
      rss.service = rssMb(service.child.pid ?? 0);
      rss.baseline = rssMb(baseline.child.pid ?? 0);
      for (const { proc } of variants) rss[proc.name] = rssMb(proc.child.pid ?? 0);
    }

    results.push(
      ...(await measureScales(scales, services, data, {
        driver,
        connections,
        rounds: scaleRounds,
        duration: scaleDuration,
        warmSeconds: smoke ? 1 : 3,
        served,
      })),
    );
    for (const [scale, proc] of services) if (scale !== 1) rss[proc.name] = rssMb(proc.child.pid ?? 0);
    if (services.has(1) && !rss.service) rss.service = rssMb(services.get(1)!.child.pid ?? 0);
    if (profile.length > 0) {
      for (const proc of [...services.values(), ...extra]) console.error(`${proc.name} (pid ${proc.child.pid}) answered ${servedBy.get(proc.url) ?? 0} requests`);
    }
    // The V8 heap in use right after the load: beside RSS, it shows how much of RSS is pages V8 and malloc keep.
    const heapUsedMb = services.has(1) ? (await scrape(services.get(1)!.url))('nodejs_heap_size_used_bytes') / 2 ** 20 : null;

    console.log(
      `\nMarquee benchmark — load by ${driver}${driver === 'autocannon' ? ' (wrk not found: autocannon shares the cores with the server, ratios flatter the slower side)' : ' -t1'}, ${connections} connections; ${rounds} round(s) × ${duration}s ${args.together ? 'with every scenario loaded at once' : 'interleaved'}, medians; node ${process.version}`,
    );
    printTable(results, ratioTo);
    const scaleRows = printScaleTable(results, scales);
    const vsBaseline = ratio(results, named(ACTOR_READ), named(BASELINE));
    const cpuVsBaseline = ratio(results, named(ACTOR_READ), named(BASELINE), 'cpuUs');
    const p99UnderLogins = ratio(results, named(UNDER_LOGINS), named(ACTOR_READ), 'p99');
    const answered = results.filter(named(LOGINS)) as (Result & { ok?: number; refused?: number; asked?: number })[];
    const loginsOk = answered.every((r) => r.non2xx === 0 && r.errors === 0);
    const sum = (key: 'ok' | 'refused' | 'asked') => answered.reduce((total, r) => total + (r[key] ?? 0), 0);
    const loginCounts = `${sum('asked')} sent, ${sum('ok')} answered 200, ${sum('refused')} answered 503`;
    const nonSuccess = [...new Set(results.filter((r) => r.non2xx > 0 || r.errors > 0).map((r) => r.scenario))];
    const allRss = Object.values(rss).flat();
    const verdict = (ok: boolean | null) => (ok === null ? 'not run' : ok ? 'met' : 'MISSED');
    console.log(
      [
        '\ntargets (ratios: median over rounds of the ratio within each round):',
        `- service/baseline: ${ACTOR_READ} ${fixed(vsBaseline)}× the honest baseline by req/s (≥ 0.9): ${verdict(vsBaseline === null ? null : vsBaseline >= 0.9)}; ${fixed(cpuVsBaseline)}× by CPU per request (the baseline's over the service's)`,
        `- ${ACTOR_READ} p99 ${fixed(p99UnderLogins)}× while logging in ${loginRate}/s for ${loginDuration} s (≤ 2): ${verdict(p99UnderLogins === null ? null : p99UnderLogins <= 2)}; logins: ${answered.length === 0 ? 'not run' : `${loginCounts} (every one 200: ${verdict(loginsOk)})`}`,
        `- RSS after the run (≤ 200 MB): ${Object.entries(rss).map(([name, mbs]) => `${name} ${mbs.map((mb) => Math.round(mb)).join('+')}`).join(', ')} MB: ${verdict(allRss.length === 0 ? null : allRss.every((mb) => mb <= 200))}; the 1× service's live heap ${heapUsedMb === null ? 'n/a' : Math.round(heapUsedMb)} MB`,
        `- data growth: ${scaleRows.length === 0 ? 'not run' : scaleRows.every((r) => r.met) ? 'every read within its target' : `MISSED: ${scaleRows.filter((r) => !r.met).map((r) => r.scenario).join(', ')}`}`,
        `- non-2xx or errors: ${nonSuccess.length === 0 ? 'none' : nonSuccess.join(', ')}`,
      ].join('\n'),
    );
    if (!smoke) writeResults({ driver, rounds, duration, connections, scales, node: process.version, results, rss, heapUsedMb, vsBaseline, cpuVsBaseline, p99UnderLogins });
    if (nonSuccess.length > 0) process.exitCode = 1;
  } finally {
    await cleanUp();
  }
}

/** The counter's and rate limits' keys of this run. */
async function dropKeys(prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const keys: string[] = [];
    for await (const batch of redis.scanStream({ match: `${prefix}*`, count: 1000 })) keys.push(...(batch as string[]));
    if (keys.length > 0) await redis.del(...keys);
  } catch (error) {
    console.error(`could not drop the run's Redis keys: ${error instanceof Error ? error.message : error}`);
  } finally {
    redis.disconnect();
  }
}

await (args['deep-pages'] ? runDeepPages(adminUrl) : main()).catch((error: unknown) => {
  if (!interrupted) throw error;
});
