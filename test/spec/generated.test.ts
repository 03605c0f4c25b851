// generated/ must be what `npm run generate` makes of openapi.yaml; the test command notices when it is not.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

t.test('the test command starts with the generation check', async (t) => {
  const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  t.match(scripts.test, /^node scripts\/generate\.ts --check && /);
});

t.test('editing openapi.yaml without regenerating fails the generation check', async (t) => {
  // A copy of the project's generation inputs, so the real openapi.yaml and generated/ are never touched.
  const copy = mkdtempSync(join(tmpdir(), 'marquee-generate-'));
  t.teardown(() => rmSync(copy, { recursive: true, force: true }));
  for (const dir of ['scripts', 'src', 'generated', 'docs', join('sdk', 'src')]) {
    cpSync(join(ROOT, dir), join(copy, dir), { recursive: true });
  }
  cpSync(join(ROOT, 'package.json'), join(copy, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
  const spec = readFileSync(join(ROOT, 'openapi.yaml'), 'utf8');
  const edited = spec.replace('summary: Liveness\n', 'summary: Liveness (edited, not regenerated)\n');
  t.not(edited, spec, 'the spec was edited');
  writeFileSync(join(copy, 'openapi.yaml'), edited);

  const check = spawnSync(process.execPath, ['scripts/generate.ts', '--check'], {
    cwd: copy,
    encoding: 'utf8',
    timeout: 120_000,
  });
  t.equal(check.status, 1, `exit code 1 (stderr: ${check.stderr.slice(0, 500)})`);
  t.match(check.stderr, /stale generated files \(run npm run generate\): .*generated\/api\.d\.ts/);
  t.match(check.stderr, /generated\/postman\.json/);
  t.match(check.stderr, /sdk\/src\/api\.ts/, 'the SDK is generated from the same spec');
  t.equal(
    readFileSync(join(copy, 'generated', 'api.d.ts'), 'utf8'),
    readFileSync(join(ROOT, 'generated', 'api.d.ts'), 'utf8'),
    '--check writes nothing',
  );
});

t.test('the Postman collection runs against any deployment: {{baseUrl}} and bearer {{accessToken}}', async (t) => {
  interface Item {
    item?: Item[];
    request?: { url?: { host?: string[] } };
  }
  const collection = JSON.parse(readFileSync(join(ROOT, 'generated', 'postman.json'), 'utf8')) as Item & {
    variable: { key: string }[];
    auth: { type: string; bearer: { key: string; value: string }[] };
  };
  t.same(collection.variable.map((v) => v.key).sort(), ['adminPassword', 'adminUsername', 'baseUrl']);
  t.match(collection.auth, { type: 'bearer', bearer: [{ key: 'token', value: '{{accessToken}}' }] });
  const hosts: string[] = [];
  const walk = (node: Item) => {
    if (node.request?.url) hosts.push((node.request.url.host ?? []).join('.'));
    for (const child of node.item ?? []) walk(child);
  };
  walk(collection);
  t.ok(hosts.length > 30, `${hosts.length} requests`);
  t.same(
    hosts.filter((host) => host !== '{{baseUrl}}'),
    [],
    'every request is sent to {{baseUrl}}',
  );
});
