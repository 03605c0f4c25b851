// `npm run users -- disable|enable|delete|set-password NAME` beside a running server on the embedded database:
// the commands reach the server's own database through its socket, and the server sees each change at once.
import t from 'tap';
import { embeddedEnv, loginStatus, printedPasswords, register, runNode, waitUntilReady } from '../db/fixtures.ts';
import { SERVER_ADMIN, serverToken, startServer } from '../helpers/server-process.ts';

t.test('the account commands work while the server runs on the embedded database', async (t) => {
  const env = { ...embeddedEnv(), ...SERVER_ADMIN };
  const server = await startServer(t, { ...env, LOG_LEVEL: 'warn' });
  await waitUntilReady(server);
  const users = (...args: string[]) => runNode('scripts/users.ts', args, env);
  const ok = (run: { code: number | null; stderr: string }, what: string) =>
    t.equal(run.code, 0, `${what} exits 0${run.code === 0 ? '' : `: ${run.stderr}`}`);
  const me = async (token: string) => {
    const res = await fetch(`${server.url}/api/v1/user`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, code: ((await res.json()) as { code?: string }).code };
  };
  const tokenOf = async (username: string, password: string) => {
    const res = await fetch(`${server.url}/api/auth/token/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    return ((await res.json()) as { access: string }).access;
  };

  t.equal((await register(server, 'frank', 'frank-password-1')).status, 201);
  const token = await tokenOf('frank', 'frank-password-1');

  const disable = await users('disable', 'frank');
  ok(disable, 'disable');
  t.match(disable.stdout, /user \d+ "frank" disabled/);
  t.same(await me(token), { status: 401, code: 'account_disabled' }, 'the server refuses the token at once');
  t.equal(await loginStatus(server, 'frank', 'frank-password-1'), 403, 'and the login');

  ok(await users('enable', 'frank'), 'enable');
  t.equal(await loginStatus(server, 'frank', 'frank-password-1'), 200, 'enabled: signs in again');

  const fresh = await tokenOf('frank', 'frank-password-1');
  ok(await users('set-password', 'frank', '--password', 'frank-password-2'), 'set-password');
  t.equal((await me(fresh)).status, 401, 'sessions from before the new password end');
  t.equal(await loginStatus(server, 'frank', 'frank-password-1'), 401, 'the old password is refused');
  t.equal(await loginStatus(server, 'frank', 'frank-password-2'), 200, 'the new one works');
  const generated = await users('set-password', 'frank');
  ok(generated, 'set-password with a generated password');
  const printed = printedPasswords(generated.stdout, 'frank').get('frank');
  t.ok(printed, 'prints the password it generated');
  t.equal(await loginStatus(server, 'frank', printed!), 200, 'which signs in');

  const last = await tokenOf('frank', printed!);
  const deleted = await users('delete', 'frank');
  ok(deleted, 'delete');
  t.equal((await me(last)).status, 401, 'a deleted user\'s token is refused');
  t.equal((await register(server, 'frank', 'frank-password-3')).status, 201, 'the username is free again');

  const lastAdmin = await users('disable', SERVER_ADMIN.ADMIN_USERNAME);
  t.equal(lastAdmin.code, 1, 'the last admin stays');
  t.match(lastAdmin.stderr, /last active admin/);
  const unknown = await users('delete', 'nobody-at-all');
  t.equal(unknown.code, 1);
  t.match(unknown.stderr, /no user "nobody-at-all"/);
  for (const args of [['disable'], ['disable', 'a', 'b'], ['enable', 'frank', '--password', 'x-long-password']]) {
    t.equal((await users(...args)).code, 2, `usage: ${args.join(' ')}`);
  }
  const weak = await users('set-password', 'frank', '--password', 'short');
  t.equal(weak.code, 1, 'the password rules hold');

  const admin = await serverToken([server.url], 'admin');
  const trail = await fetch(`${server.url}/api/v1/audit?limit=100`, { headers: { authorization: `Bearer ${admin}` } });
  const events = ((await trail.json()) as { events: { action: string; actor: string | null; target: string }[] }).events;
  t.same(
    events.filter((e) => e.actor === 'command line').map((e) => `${e.action} ${e.target}`).reverse(),
    ['disabled frank', 'enabled frank', 'password_changed frank', 'password_changed frank', 'deleted frank'],
    'one event per command, by the command line',
  );
  t.equal(server.child.exitCode, null, 'the server is still running');
});
