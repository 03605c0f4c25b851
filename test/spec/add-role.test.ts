// The spec carries the role table: a role added to a copy of openapi.yaml, with its permissions, works in that copy
// once it is regenerated (`npm run generate`), with every file of src/ as it is here.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { parseDocument, type YAMLSeq } from 'yaml';
import { callServer, SERVER_ADMIN, serverToken, startServer } from '../helpers/server-process.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
/** What the server and the generator read; node_modules is linked, not copied. */
const COPIED = ['openapi.yaml', 'package.json', 'bin', 'db', 'docs', 'generated', 'scripts', 'sdk/src', 'src'];

t.test('a role added to a copy of the spec, with its permissions, works without a change to src/', async (t) => {
  const copy = mkdtempSync(join(tmpdir(), 'marquee-role-'));
  t.teardown(() => rmSync(copy, { recursive: true, force: true }));
  for (const entry of COPIED) cpSync(join(ROOT, entry), join(copy, entry), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));

  const spec = parseDocument(readFileSync(join(copy, 'openapi.yaml'), 'utf8'));
  (spec.getIn(['components', 'schemas', 'Role', 'enum']) as YAMLSeq).add('casting_scout');
  spec.setIn(['components', 'schemas', 'Role', 'x-permissions', 'casting_scout'], ['get:actors', 'get:movies']);
  writeFileSync(join(copy, 'openapi.yaml'), spec.toString());
  const generated = await run(process.execPath, ['scripts/generate.ts'], { cwd: copy, timeout: 120_000 });
  t.match(generated.stdout, /generated files written/);
  t.match(readFileSync(join(copy, 'docs/casting.md'), 'utf8'), /\| `casting_scout` \| `get:actors`, `get:movies` \|/);
  const unchanged = await run('diff', ['-r', join(ROOT, 'src'), join(copy, 'src')]).then(
    () => true,
    () => false,
  );
  t.ok(unchanged, 'src/ of the copy is the same as here');

  const server = await startServer(t, { LOG_LEVEL: 'warn', ...SERVER_ADMIN }, { cwd: copy });
  const call = (method: string, path: string, token?: string, body?: unknown) =>
    callServer(server.url, method, path, token, body);

  const admin = await serverToken([server.url], 'admin');
  const credentials = { username: 'new-scout', password: 'correct-horse-battery' };
  t.equal((await call('POST', '/api/auth/register/', undefined, credentials)).status, 201);
  const member = (await call('POST', '/api/auth/token/', undefined, credentials)).json.access as string;
  const id = (await call('GET', '/api/v1/user', member)).json.id as number;
  t.equal((await call('GET', '/actors', member)).status, 403, 'as a member: no actors');

  const promoted = await call('PATCH', `/api/v1/users/${id}`, admin, { role: 'casting_scout' });
  t.equal(promoted.status, 200, 'the admin gives the new role');
  t.match(promoted.json, { role: 'casting_scout', is_staff: false, permissions: ['get:actors', 'get:movies'] });

  const scout = (await call('POST', '/api/auth/token/', undefined, credentials)).json.access as string;
  const claims = JSON.parse(Buffer.from(scout.split('.')[1]!, 'base64url').toString('utf8'));
  t.match(claims, { role: 'casting_scout', permissions: ['get:actors', 'get:movies'] }, 'the token carries them');
  t.equal((await call('GET', '/actors', scout)).status, 200, 'lists actors');
  t.equal((await call('GET', '/movies', scout)).status, 200, 'lists movies');
  t.equal((await call('GET', '/actors/1', scout)).status, 403, 'but reads no actor details');
  t.equal((await call('POST', '/actors', scout, { name: 'A', age: 30, gender: 'female' })).status, 403);
  t.equal((await call('PATCH', `/api/v1/users/${id}`, admin, { role: 'casting_stuntman' })).status, 400, 'a role the spec lacks is refused');
});
