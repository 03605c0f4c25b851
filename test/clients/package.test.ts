// The SDK as an outsider gets it: `npm pack ./sdk`, installed into an empty project from the tarball (its
// dependency from the registry), used from plain JavaScript against a live server, and type-checked by tsc.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { createTestDatabase } from '../helpers/database.ts';
import { startServer } from '../helpers/server-process.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const npm = (args: string[], cwd: string) =>
  execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8' });

const project = mkdtempSync(join(tmpdir(), 'marquee-outsider-'));
t.teardown(() => rmSync(project, { recursive: true, force: true }));
const packed = JSON.parse(npm(['pack', './sdk', '--json', '--pack-destination', project], ROOT)) as {
  filename: string;
  files: { path: string }[];
}[];
const tarball = packed[0] as (typeof packed)[number];

t.test('the tarball holds the built package and nothing of the server', async (t) => {
  const files = tarball.files.map((f) => f.path).sort();
  t.ok(files.includes('dist/index.js'), 'built JavaScript');
  t.ok(files.includes('dist/index.d.ts'), 'type declarations');
  t.ok(files.includes('README.md'));
  t.ok(files.includes('LICENSE'), 'the MIT licence');
  t.same(
    files.filter((f) => !/^(dist\/[\w-]+\.(js|d\.ts)|README\.md|LICENSE|package\.json)$/.test(f)),
    [],
    'only dist/, the README, the licence and package.json',
  );
});

writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'outsider', private: true, type: 'module' }));
npm(['install', join(project, tarball.filename)], project);

t.test('installed from the tarball, its only dependency is openapi-fetch', async (t) => {
  const installed = readdirSync(join(project, 'node_modules')).filter((name) => !name.startsWith('.'));
  t.same(installed.sort(), ['marquee-client', 'openapi-fetch', 'openapi-typescript-helpers'].sort());
});

t.test('plain JavaScript registers, logs in, creates an actor and a movie, pages through messages, retries a lost POST once and uses ETags', async (t) => {
  const database = await createTestDatabase(t);
  const admin = { username: 'outsider-admin', password: 'outsider-admin-password' };
  const server = await startServer(t, {
    ADMIN_USERNAME: admin.username,
    ADMIN_PASSWORD: admin.password,
    ...(database.url ? { DATABASE_URL: database.url } : {}),
  });
  copyFileSync(join(ROOT, 'test', 'clients', 'outsider', 'flow.mjs'), join(project, 'flow.mjs'));
  const run = spawnSync(process.execPath, ['flow.mjs', server.url, admin.username, admin.password], {
    cwd: project,
    encoding: 'utf8',
    timeout: 60_000,
  });
  t.equal(run.status, 0, `the script succeeds (stderr: ${run.stderr.slice(0, 1000)})`);
  const seen = JSON.parse(run.stdout);
  t.match(seen.user, { id: Number, role: 'member' });
  t.match(seen.actor, { id: Number, name: 'Peter', age: 23, gender: 'M' });
  t.match(seen.movie, { id: Number, title: 'Genesis', actors_id: [seen.actor.id] });
  t.equal(seen.posted.length, 5);
  t.same(seen.paged, [...seen.posted].reverse(), 'every message, newest first, two per page');
  t.match(seen.me, { id: seen.user.id, role: 'executive_producer' }, 'the refreshed token works');
  t.equal(seen.refreshed, 1, 'one refresh for the refused token');
  t.match(seen.notFound, { status: 404, body: { success: false, error: 404, message: String } });
  t.equal(seen.retried.failures, 1, 'the first answer to the POST was lost');
  t.match(seen.retried, { status: 201, replayed: 'true', id: Number }, 'the retry got the first answer, replayed');
  t.same(seen.retried.copies, [seen.retried.id], 'exactly one message exists');
  t.match(seen.conditional, { tag: /^"[\w-]+"$/, notModified: true }, 'a 304 for the tag held');
  t.same(seen.conditional.stale, { status: 412, code: 'precondition_failed' }, 'a stale If-Match is a typed 412');
});

t.test('tsc checks bodies against the contract: a wrong field name fails, the right one passes', async (t) => {
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'es2022',
        lib: ['es2022', 'dom'],
        types: [],
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        noEmit: true,
      },
    }),
  );
  const source = (body: string) => `import { createClient } from 'marquee-client';

const api = createClient({ baseUrl: 'http://127.0.0.1:3000' });
const created = await api.POST('/actors', { body: ${body} });
export const name: string | undefined = created.data?.actor.name;
`;
  const tsc = () =>
    spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], {
      cwd: project,
      encoding: 'utf8',
    });
  writeFileSync(join(project, 'index.ts'), source("{ name: 'Peter', age: 23, gender: 'M' }"));
  const right = tsc();
  t.equal(right.status, 0, `the right field names compile: ${right.stdout}`);
  writeFileSync(join(project, 'index.ts'), source("{ nmae: 'Peter', age: 23, gender: 'M' }"));
  const wrong = tsc();
  t.equal(wrong.status, 2, 'tsc fails');
  t.match(wrong.stdout, /index\.ts\(4,\d+\): error TS\d+: .*'nmae' does not exist/);
});

t.test("the README's SDK snippet runs as pasted, in a project made by `npm init -y`", async (t) => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const snippet = /```js\n(import \{ createClient[\s\S]*?)```/.exec(readme)?.[1] ?? '';
  t.match(snippet, "baseUrl: 'http://127.0.0.1:3000'", 'the README has the snippet, for the default address');
  t.match(readme, /save this as `first\.mjs`/, 'and says to save it as an ES module');
  const fresh = mkdtempSync(join(tmpdir(), 'marquee-readme-'));
  t.teardown(() => rmSync(fresh, { recursive: true, force: true }));
  npm(['init', '-y'], fresh);
  npm(['install', join(project, tarball.filename)], fresh);

  const database = await createTestDatabase(t);
  const server = await startServer(t, database.url ? { DATABASE_URL: database.url } : {});
  // The one change: the test's server listens on a port of its own.
  writeFileSync(join(fresh, 'first.mjs'), snippet.replace("'http://127.0.0.1:3000'", `'${server.url}'`));
  const run = () =>
    spawnSync(process.execPath, ['first.mjs'], { cwd: fresh, encoding: 'utf8', timeout: 60_000 });
  const first = run();
  t.equal(first.status, 0, `the snippet succeeds (stderr: ${first.stderr.slice(0, 1000)})`);
  t.match(first.stdout, /^register: 201\nposted (\d+)\n\1 hello\n$/, 'registers maya, posts, pages through');
  const again = run();
  t.equal(again.status, 0, `and again (stderr: ${again.stderr.slice(0, 1000)})`);
  t.match(again.stdout, /^register: 409\nposted \d+\n/, 'maya exists the second time');

  const ignored = spawnSync('git', ['check-ignore', '-q', 'build/marquee-client-1.0.0.tgz'], { cwd: ROOT });
  t.equal(ignored.status, 0, "the README's tarball folder is git-ignored");
});
