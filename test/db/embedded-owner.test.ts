// One process owns a PGlite data folder; the commands reach the running server's database through it, and a
// second server refuses to start. Real processes on a real folder, whatever DATABASE_URL this run has.
import t from 'tap';
import { startServer } from '../helpers/server-process.ts';
import { embeddedEnv, loginStatus, printedPasswords, register, runNode, waitUntilReady } from './fixtures.ts';

t.test('the commands work beside the running server, a second server refuses, migrations go through the owner', async (t) => {
  const env = embeddedEnv();
  const server = await startServer(t, env);
  await waitUntilReady(server);
  const ownerPid = server.child.pid!;

  // (1) demo and two `users create` at once, while the server takes registrations of its own.
  const [demo, carla, pat, ...registrations] = await Promise.all([
    runNode('scripts/demo.ts', [], env),
    runNode('scripts/users.ts', ['create', '--username', 'carla', '--role', 'casting_director'], env),
    runNode('scripts/users.ts', ['create', '--username', 'pat', '--password', 'pat-password-1'], env),
    ...[1, 2, 3].map((i) => register(server, `walk-in-${i}`, `walk-in-password-${i}`)),
  ]);
  for (const [name, run] of Object.entries({ demo, carla, pat })) {
    t.equal(run.code, 0, `${name} exits 0${run.code === 0 ? '' : `: ${run.stderr}`}`);
  }
  t.same(
    registrations.map((r) => r.status),
    [201, 201, 201],
    'the server kept answering',
  );
  const passwords = printedPasswords(demo.stdout);
  t.equal(passwords.size, 5, 'the demo printed five passwords');
  passwords.set('carla', printedPasswords(carla.stdout, 'carla').get('carla')!);
  passwords.set('pat', 'pat-password-1');
  for (const [username, password] of passwords) {
    t.equal(await loginStatus(server, username, password), 200, `${username} logs in through the server`);
  }
  for (const i of [1, 2, 3]) {
    t.equal(await loginStatus(server, `walk-in-${i}`, `walk-in-password-${i}`), 200, `walk-in-${i} logs in`);
  }

  t.match(demo.stdout, /^# movie The Lighthouse Letters/m, 'the demo made sample movies');
  t.match(demo.stdout, /^# collection "Weekend picks"/m, 'and a collection');

  // Run again: the demo's users keep their passwords and nothing is added twice.
  const again = await runNode('scripts/demo.ts', [], env);
  t.equal(again.code, 0, `the demo runs again${again.code === 0 ? '' : `: ${again.stderr}`}`);
  t.equal(printedPasswords(again.stdout).size, 0, 'no password changed');
  t.notMatch(again.stdout, /^# (actor|movie|message|collection) /m, 'no sample data twice');
  t.equal(await loginStatus(server, 'demo-member', passwords.get('demo-member')!), 200, 'the first password works');
  const movies = await fetch(`${server.url}/movies`, {
    headers: { authorization: `Bearer ${/^export PRODUCER_JWT='([^']+)'$/m.exec(again.stdout)?.[1]}` },
  });
  t.equal(movies.status, 200, 'the sample movies are served');
  t.equal(((await movies.json()) as { total_movies?: number }).total_movies, 2, 'two of them');

  // (2) A second server on the same folder stops at once, saying which folder and which process hold it.
  const second = await runNode('src/server.ts', [], { ...env, PORT: '0', LOG_LEVEL: 'info' });
  t.not(second.code, 0, 'the second server exits non-zero');
  const refusal = second.stderr.split('\n').filter((line) => line.includes('data folder'));
  t.equal(refusal.length, 1, 'with one line about the folder');
  t.match(refusal[0], env.DATA_DIR!);
  t.match(refusal[0], `process ${ownerPid}`);
  t.match(refusal[0], /stop that process first, or set DATA_DIR to another folder/);
  t.notMatch(second.stdout, /Server listening/, 'it never listened');
  t.comment(`the second server exited after ${second.ms} ms`);

  // (5) db:migrate goes through the owner; a rollback, which would pull tables from under it, is refused.
  const migrate = await runNode('scripts/db.ts', ['up'], env);
  t.equal(migrate.code, 0, `db:migrate exits 0${migrate.code === 0 ? '' : `: ${migrate.stderr}`}`);
  t.match(migrate.stdout, /nothing to do/, 'the server had migrated already');
  const rollback = await runNode('scripts/db.ts', ['down'], env);
  t.equal(rollback.code, 1, 'db:rollback refuses');
  t.match(rollback.stderr, new RegExp(`data folder ${env.DATA_DIR} is in use by process ${ownerPid} .*stop it`));
  t.equal(await loginStatus(server, 'pat', 'pat-password-1'), 200, 'the data is intact');
  t.equal((await register(server, 'after-migrate', 'after-migrate-1')).status, 201, 'and the server still writes');
});
