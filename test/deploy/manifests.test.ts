/**
 * No container engine or cluster runs here, so the deployment files are checked against what they must agree
 * with: the variables src/config reads (and accepts), the routes in openapi.yaml, package.json's commands and
 * the server's shutdown bound.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import type { Env } from '../../src/config/index.ts';
import {
  CONFIG_VARIABLES,
  checkVariables,
  publicGet,
  specGet,
  ROOT,
  read,
  SECRET_VARIABLES,
  SHUTDOWN_SECONDS,
  scripts,
  words,
} from './fixtures.ts';

t.test('config, .env.example and the README agree on the variables', async (t) => {
  t.ok(CONFIG_VARIABLES.size > 30, `${CONFIG_VARIABLES.size} variables found in src/config`);
  const example = new Set(
    read('.env.example')
      .split('\n')
      .filter((line) => /^[A-Z]/.test(line))
      .map((line) => line.split('=', 1)[0] as string),
  );
  for (const name of CONFIG_VARIABLES) t.ok(example.has(name), `.env.example lists ${name}`);
  for (const name of example)
    t.ok(CONFIG_VARIABLES.has(name), `${name} in .env.example is read by src/config`);
});

t.test(
  'Dockerfile: multi-stage Node 24 slim, production dependencies, non-root, /health check',
  async (t) => {
    const instructions = read('Dockerfile')
      .replace(/\\\n/g, ' ')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => {
        const [keyword, ...rest] = line.split(/\s+/);
        return { keyword: (keyword as string).toUpperCase(), args: rest.join(' ') };
      });
    const all = (keyword: string) => instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
    const last = (keyword: string) => all(keyword).at(-1) ?? '';

    const stages = all('FROM');
    t.ok(stages.length >= 2, 'multi-stage');
    for (const stage of stages) t.match(stage, /^node:24-slim\b/, `${stage}: Node 24 slim`);
    t.ok(
      all('RUN').some((run) => /\bnpm ci\b.*--omit=dev/.test(run)),
      'npm ci --omit=dev',
    );
    t.ok(!['', 'root', '0'].includes(last('USER')), `runs as ${last('USER')}, not root`);
    t.ok(
      instructions.findIndex((i) => i.keyword === 'USER') <
        instructions.findIndex((i) => i.keyword === 'CMD'),
      'USER comes before CMD',
    );

    const env: Env = {};
    for (const line of all('ENV')) {
      for (const [, name, value] of line.matchAll(/([A-Z][A-Z0-9_]*)=(\S+)/g)) env[name as string] = value;
    }
    for (const name of Object.keys(env))
      t.ok(CONFIG_VARIABLES.has(name), `ENV ${name} is read by src/config`);
    t.equal(env.NODE_ENV, 'production');
    t.equal(env.MIGRATE_ON_START, 'false', 'the image never migrates on start');
    t.equal(all('EXPOSE')[0], env.PORT, 'EXPOSE is the PORT it listens on');

    const healthcheck = last('HEALTHCHECK');
    const path = /127\.0\.0\.1:' \+ \(process\.env\.PORT \|\| 3000\) \+ '(\/[\w/]*)'/.exec(healthcheck)?.[1];
    t.equal(path, '/health', 'HEALTHCHECK requests /health on the configured port');
    t.ok(publicGet('/health'), '/health is a public GET in openapi.yaml');

    t.same(JSON.parse(last('CMD')), words(scripts.start as string), 'CMD is `npm start` without npm');

    const copied = all('COPY')
      .filter((args) => !args.startsWith('--from'))
      .flatMap((args) => words(args).slice(0, -1));
    const ignored = read('.dockerignore')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#') && !line.startsWith('!'));
    for (const source of copied) {
      t.ok(existsSync(join(ROOT, source)), `COPY ${source} exists`);
      t.notOk(
        ignored.some((pattern) => source === pattern || source.startsWith(`${pattern}/`)),
        `${source} is not in .dockerignore`,
      );
    }

    // What the image leaves out must not be needed at run time: src/ imports nothing from outside the copied
    // paths except types (erased before running).
    const inImage = (file: string) =>
      copied.some((source) => file === join(ROOT, source) || file.startsWith(`${join(ROOT, source)}/`));
    const sources = readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.ts'),
    );
    for (const file of sources) {
      const text = readFileSync(join(ROOT, 'src', file), 'utf8');
      for (const [, target] of text.matchAll(/^import (?!type\b)[^;]*?from '(\.{1,2}\/[^']+)'/gm)) {
        const resolved = resolve(dirname(join(ROOT, 'src', file)), target as string);
        t.ok(inImage(resolved), `src/${file} imports ${relative(ROOT, resolved)}, which the image contains`);
      }
    }
    t.ok(inImage(join(ROOT, 'db/migrations')), 'the migrations are in the image');
    t.ok(inImage(join(ROOT, 'openapi.yaml')), 'the spec the server runs on is in the image');
    t.ok(inImage(join(ROOT, 'scripts/db.ts')), 'the migration command is in the image');
    t.ok(inImage(join(ROOT, 'scripts/users.ts')), 'the users command is in the image');
    for (const command of ['scripts/db.ts', 'scripts/users.ts']) {
      const text = readFileSync(join(ROOT, command), 'utf8');
      for (const [, target] of text.matchAll(/^import (?!type\b)[^;]*?from '(\.{1,2}\/[^']+)'/gm)) {
        const resolved = resolve(dirname(join(ROOT, command)), target as string);
        t.ok(inImage(resolved), `${command} imports ${relative(ROOT, resolved)}, which the image contains`);
      }
    }
    t.ok(inImage(join(ROOT, 'bin/marquee.js')), 'the launcher is in the image');
  },
);

t.test('deploy/k8s: probes, Job, Service, autoscaler and settings that exist', async (t) => {
  const dir = join(ROOT, 'deploy/k8s');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  const objects = files.flatMap((file) =>
    parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((doc) => {
      t.same(doc.errors, [], `${file} parses`);
      return { file, ...doc.toJS() } as Record<string, any>;
    }),
  );
  const find = (kind: string) => objects.filter((o) => o.kind === kind);
  const one = (kind: string) => {
    const found = find(kind);
    t.equal(found.length, 1, `one ${kind}`);
    return found[0] as Record<string, any>;
  };

  const kustomization = one('Kustomization');
  for (const resource of kustomization.resources as string[]) {
    t.ok(existsSync(join(dir, resource)), `kustomization lists ${resource}, which exists`);
  }
  t.notOk(
    (kustomization.resources as string[]).some((r) => r.includes('secret')),
    'the example Secret is not applied',
  );

  const configMap = one('ConfigMap');
  const secret = one('Secret');
  for (const name of SECRET_VARIABLES) {
    t.notOk(name in configMap.data, `${name} is not in the ConfigMap (it is a secret)`);
  }
  const env: Env = { ...configMap.data, ...secret.stringData };
  const config = checkVariables(t, env, 'ConfigMap + Secret');
  t.ok(config.admin, 'the Secret carries ADMIN_USERNAME and ADMIN_PASSWORD');

  const deployment = one('Deployment');
  const job = one('Job');
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  for (const [owner, c] of [
    ['Deployment', container],
    ['Job', job.spec.template.spec.containers[0]],
  ] as const) {
    const references = (c.envFrom as Array<Record<string, { name: string }>>).map(
      (ref) => ref.configMapRef?.name ?? ref.secretRef?.name,
    );
    t.same(references.sort(), [configMap.metadata.name, secret.metadata.name].sort(), `${owner} reads both`);
    t.notOk(c.env, `${owner}: every setting comes from the ConfigMap or the Secret`);
    t.ok(c.resources?.requests?.cpu && c.resources?.requests?.memory, `${owner}: requests`);
    t.ok(c.resources?.limits?.memory, `${owner}: a memory limit`);
    t.equal(c.securityContext?.readOnlyRootFilesystem, true, `${owner}: read-only root file system`);
  }

  t.same(container.command, words(scripts.start as string), 'the Deployment runs `npm start`');
  t.same(
    job.spec.template.spec.containers[0].command,
    words(scripts['db:migrate'] as string),
    'the Job migrates',
  );
  t.ok(['Never', 'OnFailure'].includes(job.spec.template.spec.restartPolicy));
  t.equal(pod.securityContext?.runAsNonRoot, true);

  const port = (container.ports as Array<{ name: string; containerPort: number }>)[0];
  t.equal(port?.containerPort, config.port, 'the container port is PORT');
  const probes = { readinessProbe: '/ready', livenessProbe: '/health', startupProbe: '/health' } as const;
  for (const [probe, path] of Object.entries(probes)) {
    t.equal(container[probe]?.httpGet?.path, path, `${probe} requests ${path}`);
    t.equal(container[probe]?.httpGet?.port, port?.name, `${probe} uses the named port`);
    t.ok(publicGet(path), `${path} is a public GET in openapi.yaml`);
  }
  const annotations = deployment.spec.template.metadata.annotations;
  // The scrape path is guarded by METRICS_TOKEN (the secret's), so it exists without being public.
  t.ok(specGet(annotations['prometheus.io/path']), 'the scrape path exists');
  t.equal(Number(annotations['prometheus.io/port']), config.port);

  const preStop = Number(container.lifecycle?.preStop?.sleep?.seconds ?? 0);
  t.ok(
    pod.terminationGracePeriodSeconds > preStop + SHUTDOWN_SECONDS,
    `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} > preStop ${preStop}s + shutdown ${SHUTDOWN_SECONDS}s`,
  );

  const labels = deployment.spec.template.metadata.labels;
  t.same(deployment.spec.selector.matchLabels, labels);
  const service = one('Service');
  t.same(service.spec.selector, labels, 'the Service selects the pods');
  t.equal(service.spec.ports[0].targetPort, port?.name);
  const hpa = one('HorizontalPodAutoscaler');
  t.same(hpa.spec.scaleTargetRef, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    name: deployment.metadata.name,
  });
  t.ok(hpa.spec.minReplicas >= 2 && hpa.spec.maxReplicas > hpa.spec.minReplicas);
  t.same(one('PodDisruptionBudget').spec.selector.matchLabels, labels);
});
