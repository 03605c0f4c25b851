// The generated collection's shape: what `npm run postman` (in CI) relies on, checked without a server.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { parse } from 'yaml';

interface Item {
  name: string;
  item?: Item[];
  request?: { method: string; url: { path: string[] }; auth?: { type: string } | null; body?: { raw: string } };
  event?: { listen: string; script: { exec: string[] } }[];
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const collection = JSON.parse(readFileSync(`${ROOT}/generated/postman.json`, 'utf8')) as Item & {
  auth: unknown;
  variable: { key: string }[];
};
const spec = parse(readFileSync(`${ROOT}/openapi.yaml`, 'utf8')) as {
  paths: Record<string, Record<string, { security?: unknown[] }>>;
};
const requests: (Item & { folder: string })[] = [];
for (const folder of collection.item ?? []) for (const item of folder.item ?? []) requests.push({ ...item, folder: folder.name });
const key = (item: Item) =>
  `${item.request?.method} /${item.request?.url.path.map((s) => s.replace(/^:(.+)$/, '{$1}')).join('/')}`;
const tests = (item: Item) => item.event?.find((e) => e.listen === 'test')?.script.exec.join('\n') ?? '';

t.test('collection-level bearer auth on {{accessToken}}; three variables to set', async (t) => {
  t.same(collection.auth, { type: 'bearer', bearer: [{ key: 'token', value: '{{accessToken}}', type: 'string' }] });
  t.same(collection.variable.map((v) => v.key), ['baseUrl', 'adminUsername', 'adminPassword']);
});

t.test('the setup folder comes first: the admin logs in, then a user per role, tokens kept', async (t) => {
  const setup = requests.filter((r) => r.folder === requests[0]?.folder);
  t.match(setup[0]?.request?.body?.raw, /\{\{adminUsername\}\}/);
  for (const role of ['admin', 'member', 'casting_assistant', 'casting_director', 'executive_producer']) {
    t.ok(setup.some((r) => tests(r).includes(`pm.collectionVariables.set("token_${role}"`)), `a token for ${role}`);
  }
});

t.test('every operation of the spec is requested; every request asserts a status', async (t) => {
  const documented = Object.entries(spec.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
      .map((m) => `${m.toUpperCase()} ${path}`),
  );
  const requested = new Set(requests.map(key));
  t.same(documented.filter((op) => !requested.has(op)), [], 'no operation left out');
  t.same(requests.filter((r) => !/pm\.response\.to\.have\.status\(\d{3}\)/.test(tests(r))).map((r) => r.name), []);
  t.ok(requests.every((r) => /pm\.test\(/.test(tests(r))));
});

t.test('secured requests inherit the collection auth and pick a role; anonymous ones send no token', async (t) => {
  for (const request of requests) {
    const [method, path] = key(request).split(' ') as [string, string];
    const security = spec.paths[path]?.[method.toLowerCase()]?.security;
    if (!security || request.request?.auth) continue;
    const pre = request.event?.find((e) => e.listen === 'prerequest')?.script.exec.join('\n') ?? '';
    t.match(pre, /pm\.collectionVariables\.set\('accessToken'/, `${request.name} chooses a token`);
  }
  const anonymous = requests.filter((r) => r.name === 'List messages');
  t.same(anonymous[0]?.request?.auth, { type: 'noauth' });
});

t.test('what is created flows on: ids into later paths, and deletes come last, newest first', async (t) => {
  const names = requests.map((r) => r.name);
  const create = (n: string) => names.indexOf(n);
  t.ok(create('Create an actor') < create('Create a movie'));
  t.ok(create('Create a movie') < create('Create a collection'));
  t.ok(create('Create a collection') < create('Post a message'));
  t.match(tests(requests[create('Create an actor')] as Item), /pm\.collectionVariables\.set\("actorId", pm\.response\.json\(\)\["actor_id"\]\)/);
  t.match(requests[create('Create a movie')]?.request?.body?.raw, /"actors_id": \[\s*\{\{actorId\}\}\s*\]/);
  const deletes = requests
    .filter((r) => r.folder.startsWith('cleanup') && r.request?.method === 'DELETE')
    .map((r) => r.name);
  t.same(deletes, [
    'Delete a message',
    'Remove one movie from one of my collections',
    'Delete one of my collections',
    'Delete a movie',
    'Delete an actor',
    'Delete a user',
  ]);
  const sweep = ['Delete every user the run registered', 'No user of the run is left'];
  t.same(names.slice(-deletes.length - sweep.length), [...deletes, ...sweep], 'the last requests');
  t.notOk(names.includes('Reset the request counter'), 'the shared counter is never reset');
  t.ok(names.includes('403 as a member: Reset the request counter'));
});

t.test('the run leaves no user behind: every name it makes shares one prefix, and the cleanup deletes by it', async (t) => {
  const bodies = requests.map((r) => r.request?.body?.raw ?? '').join('\n');
  for (const match of bodies.matchAll(/"(username|email)": "([^"]*)"/g)) {
    if (!match[2]!.startsWith('{{admin')) t.match(match[2], /^pm-\{\{runId\}\}-/, `${match[1]} ${match[2]}`);
  }
  const sweep = requests.filter((r) => r.name === 'Delete every user the run registered')[0];
  t.match(tests(sweep as Item), /method: 'DELETE'/);
  const life = requests.filter((r) => r.folder.startsWith('account life')).map((r) => r.name);
  t.same(life, [
    'Register a user who will leave',
    'Change your own password (and sign out everywhere)',
    'Log in with the new password',
    'Delete your own account',
  ]);
});
