import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { catalogEnv, fakeUpstream } from '../catalog/fixtures.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { freePort, get, startServer } from '../helpers/server-process.ts';

const PROMETHEUS = '/usr/bin/prometheus';
const PROMTOOL = '/usr/bin/promtool';
const RULES = fileURLToPath(new URL('../../deploy/prometheus/alerts.yml', import.meta.url));
const DOCS = fileURLToPath(new URL('../../docs/operations.md', import.meta.url));
const skip = !existsSync(PROMETHEUS) && 'prometheus is not installed (apt-get install prometheus)';

/** The queries of docs/operations.md's ```promql block, by the name on the `# name:` line before each. */
function documentedQueries(): Map<string, string> {
  const block = /```promql\n([\s\S]*?)```/.exec(readFileSync(DOCS, 'utf8'))?.[1] ?? '';
  const queries = new Map<string, string>();
  let name: string | undefined;
  for (const line of block.split('\n')) {
    const heading = /^# ([\w-]+):/.exec(line);
    if (heading) name = heading[1];
    else if (line.trim() && name) {
      queries.set(name, line.trim());
      name = undefined;
    }
  }
  return queries;
}

type Sample = { metric: Record<string, string>; value: [number, string] };

t.test('promtool accepts the alerting rules', { skip: !existsSync(PROMTOOL) && 'promtool is not installed' }, async (t) => {
  const check = spawnSync(PROMTOOL, ['check', 'rules', RULES], { encoding: 'utf8' });
  t.equal(check.status, 0, 'promtool check rules exits 0', { output: check.stdout + check.stderr });
  t.match(check.stdout, /SUCCESS: 6 rules found/);
});

t.test('Prometheus scrapes a running service and answers the documented queries', { skip }, async (t) => {
  const queries = documentedQueries();
  t.same(
    [...queries.keys()],
    ['request-rate', 'error-rate', 'p99-latency', 'pool-saturation', 'pool-waiting', 'hash-queue-saturation'],
    'the docs give every query',
  );

  const database = await createTestDatabase(t, { migrate: false });
  // Every catalogue call fails: GET /catalog/movies answers 503, the 5xx the error rate must see.
  const fake = await fakeUpstream(t, { failRate: 1 });
  const metricsToken = randomBytes(24).toString('hex');
  const server = await startServer(t, {
    ...catalogEnv(fake, { CATALOG_MAX_ATTEMPTS: '1' }),
    DATABASE_URL: database.url,
    METRICS_TOKEN: metricsToken,
  });
  t.equal((await get(server.port, '/metrics')).status, 401, '/metrics needs the token Prometheus is given');

  const dir = mkdtempSync(join(tmpdir(), 'marquee-prometheus-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'token'), metricsToken);
  writeFileSync(
    join(dir, 'prometheus.yml'),
    JSON.stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [RULES],
      scrape_configs: [
        {
          job_name: 'marquee',
          authorization: { credentials_file: join(dir, 'token') },
          static_configs: [{ targets: [`127.0.0.1:${server.port}`] }],
        },
      ],
    }),
  );
  const port = await freePort();
  const prometheus: ChildProcess = spawn(
    PROMETHEUS,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let output = '';
  prometheus.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output = (output + chunk).slice(-4000);
  });
  let stopping = false;
  const exited = new Promise<void>((resolve) => prometheus.once('exit', () => resolve()));
  prometheus.once('exit', (code, signal) => {
    if (!stopping) t.fail(`prometheus exited unasked (${signal ?? code}): ${output}`);
  });
  t.teardown(async () => {
    stopping = true;
    if (prometheus.exitCode !== null || prometheus.signalCode !== null) return;
    prometheus.kill('SIGTERM');
    const timer = setTimeout(() => prometheus.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  });

  const api = `http://127.0.0.1:${port}`;
  const answering = async () => (await fetch(`${api}/-/ready`).catch(() => undefined))?.status === 200;
  for (let i = 0; i < 300 && !(await answering()); i++) await sleep(100);
  t.ok(await answering(), 'Prometheus is ready');

  const register = await fetch(`${server.url}/register/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: `scraped-${randomBytes(4).toString('hex')}`, password: 'correct-horse-battery' }),
  });
  const { access_token: token } = (await register.json()) as { access_token: string };
  t.equal(register.status, 201);

  async function query(text: string): Promise<Sample[]> {
    const response = await fetch(`${api}/api/v1/query?${new URLSearchParams({ query: text })}`);
    const body = (await response.json()) as { status: string; error?: string; data?: { result: Sample[] } };
    if (body.status !== 'success') throw new Error(`${text}: ${body.error}`);
    return body.data?.result ?? [];
  }
  const value = (samples: Sample[], route: string) =>
    Number(samples.find((sample) => sample.metric.route === route)?.value[1] ?? Number.NaN);

  // Traffic across several scrapes (rate() needs two samples of each series), until every query has its answer.
  const expectations: Record<string, (samples: Sample[]) => boolean> = {
    'request-rate': (s) => value(s, '/collection/') > 0 && value(s, '/catalog/movies') > 0,
    'error-rate': (s) => value(s, '/catalog/movies') > 0 && !s.some((sample) => sample.metric.route === '/collection/'),
    'p99-latency': (s) => Number.isFinite(value(s, '/collection/')) && Number.isFinite(value(s, '/catalog/movies')),
    'pool-saturation': (s) => s.length > 0 && (!database.url || Number.isFinite(Number(s[0]?.value[1]))),
    'pool-waiting': (s) => s.length > 0,
    'hash-queue-saturation': (s) => s.length > 0 && Number(s[0]?.value[1]) === 0,
  };
  const answers = new Map<string, Sample[]>();
  const pending = () => [...queries].filter(([name]) => !expectations[name]?.(answers.get(name) ?? []));
  for (let round = 0; round < 60 && pending().length > 0; round++) {
    const authorization = `Bearer ${token}`;
    const collection = await get(server.port, '/collection/', { authorization });
    if (collection.status !== 200) throw new Error(`GET /collection/ answered ${collection.status}`);
    const movies = await get(server.port, '/catalog/movies', { authorization });
    if (movies.status !== 503) throw new Error(`GET /catalog/movies answered ${movies.status}`);
    for (const [name, text] of pending()) answers.set(name, await query(text));
    await sleep(500);
  }
  for (const [name, text] of queries) {
    t.ok(expectations[name]?.(answers.get(name) ?? []), `${name} answers for the traffic sent`, {
      query: text,
      answer: answers.get(name),
    });
  }

  // The alerting rules load and evaluate without error against the live series.
  let rules: { health: string; name: string }[] = [];
  for (let i = 0; i < 100; i++) {
    const body = (await (await fetch(`${api}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { health: string; name: string }[] }[] };
    };
    rules = body.data.groups.flatMap((group) => group.rules);
    if (rules.length > 0 && rules.every((rule) => rule.health === 'ok')) break;
    await sleep(100);
  }
  t.equal(rules.length, 6, 'every alerting rule is loaded');
  t.ok(rules.every((rule) => rule.health === 'ok'), 'and evaluates', { rules });
});
