// A write the embedded database acknowledged survives the server's end, clean (SIGTERM) or not (kill -9), and a
// killed owner's lock does not keep the next process out. Real processes on one real folder.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { startServer } from '../helpers/server-process.ts';
import { embeddedEnv, loginStatus, register, runNode } from './fixtures.ts';

t.test('acknowledged registrations survive SIGTERM and kill -9', async (t) => {
  const env = embeddedEnv();
  const users = (prefix: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({ username: `${prefix}-${i + 1}`, password: `${prefix}-secret-${i + 1}` }));
  type Server = Awaited<ReturnType<typeof startServer>>;
  const registerAll = async (server: Server, list: ReturnType<typeof users>) => {
    const results = await Promise.all(list.map((u) => register(server, u.username, u.password)));
    t.same(
      results.map((r) => r.status),
      list.map(() => 201),
      `${list.length} registrations acknowledged`,
    );
  };
  const allLogIn = async (server: Server, list: ReturnType<typeof users>) => {
    for (const u of list) t.equal(await loginStatus(server, u.username, u.password), 200, `${u.username} logs in`);
  };

  // (3) Five acknowledged, then a clean stop.
  const first = await startServer(t, env);
  const calm = users('calm', 5);
  await registerAll(first, calm);
  t.match(await first.stop(), { code: 0 }, 'the server stopped cleanly');
  t.notOk(existsSync(join(env.DATA_DIR!, '.s.PGSQL.5432')), 'and took its socket with it');

  const second = await startServer(t, env);
  await allLogIn(second, calm);

  // (4) Three more acknowledged, then killed with no chance to close anything.
  const abrupt = users('abrupt', 3);
  await registerAll(second, abrupt);
  t.match(await second.stop('SIGKILL'), { signal: 'SIGKILL' });
  t.ok(existsSync(join(env.DATA_DIR!, '.s.PGSQL.5432')), 'the killed owner left its socket file behind');

  // With no server, a command opens the folder itself: the dead owner's lock and socket do not stand in the way.
  const token = await runNode('scripts/users.ts', ['token', '--username', 'abrupt-1'], env);
  t.equal(token.code, 0, `a command opens the folder after the kill${token.code === 0 ? '' : `: ${token.stderr}`}`);

  const third = await startServer(t, env);
  await allLogIn(third, [...calm, ...abrupt]);
});
