import { once } from 'node:events';
import { createConnection, createServer } from 'node:net';
import pg from 'pg';
import t from 'tap';
import { createTestDatabase } from '../helpers/database.ts';
import { freePort, get, startServer } from '../helpers/server-process.ts';

const adminUrl = process.env.DATABASE_URL;
if (!adminUrl) {
  t.plan(0, 'DATABASE_URL is not set: dropped connections and a late database need a real PostgreSQL server');
} else {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  t.teardown(() => admin.end());

  // The service's connections carry this name, so the test ends exactly those and not its own.
  const APPLICATION = 'marquee-under-test';
  const withApplication = (url: string) => {
    const parsed = new URL(url);
    parsed.searchParams.set('application_name', APPLICATION);
    return parsed.toString();
  };
  const databaseName = (url: string) => new URL(url).pathname.slice(1);
  const terminateService = async (name: string) =>
    Number(
      (
        await admin.query<{ ended: string }>(
          'select count(pg_terminate_backend(pid)) as ended from pg_stat_activity where datname = $1 and application_name = $2',
          [name, APPLICATION],
        )
      ).rows[0]?.ended,
    );
  const allowConnections = (name: string, allow: boolean) =>
    admin.query(`alter database "${name}" allow_connections ${allow}`);

  t.test('the pool recovers after PostgreSQL ends its connections, and /ready tells an outage', async (t) => {
    const database = await createTestDatabase(t, { migrate: false });
    const url = database.url as string;
    const name = databaseName(url);
    t.teardown(() => allowConnections(name, true));
    const server = await startServer(t, { DATABASE_URL: withApplication(url) });

    const lostSoFar = async () =>
      Number(/^marquee_db_pool_errors_total (\d+)$/m.exec((await get(server.port, '/metrics')).body)?.[1]);
    // Several requests at once, so the pool holds several idle connections when PostgreSQL ends them.
    const warmUp = async () => {
      const statuses = await Promise.all(Array.from({ length: 5 }, () => get(server.port, '/ready')));
      t.same(
        statuses.map((r) => r.status),
        [200, 200, 200, 200, 200],
      );
    };

    await warmUp();
    const ended = await terminateService(name);
    t.ok(ended >= 1, `PostgreSQL ended the service's ${ended} connections`);
    // Wait (bounded) until the pool has heard of every ended connection: /metrics counts them.
    let lost = 0;
    for (let i = 0; i < 100 && lost < ended; i++) {
      lost = await lostSoFar();
      if (lost < ended) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    t.ok(lost >= ended, `every ended connection is counted in marquee_db_pool_errors_total (${lost})`);
    t.equal((await get(server.port, '/ready')).status, 200, 'then the next request succeeds');

    // Requests sent before the pool hears of the end may pick a dead connection: that request fails (a 503 in
    // the error shape here) and the connection is dropped. So at most one failure per ended connection.
    await warmUp();
    const endedAgain = await terminateService(name);
    const statuses: number[] = [];
    for (let i = 0; i <= endedAgain && statuses.at(-1) !== 200; i++) {
      const res = await get(server.port, '/ready');
      statuses.push(res.status);
      if (res.status !== 200) t.match(JSON.parse(res.body), { success: false, error: 503 });
    }
    t.equal(
      statuses.at(-1),
      200,
      `answers again after at most ${endedAgain} failures (${statuses.join(', ')})`,
    );
    t.equal(server.child.exitCode, null, 'the process is still running');

    // A lasting outage: the database refuses new connections and the current ones are ended.
    await allowConnections(name, false);
    await terminateService(name);
    for (let i = 0; i < 3; i++) {
      const down = await get(server.port, '/ready');
      t.equal(down.status, 503, '/ready is 503 while the database is away');
      t.same(JSON.parse(down.body), {
        success: false,
        error: 503,
        code: 'dependency_unavailable',
        message: 'not ready: database down',
        details: [{ field: 'database', message: 'unreachable' }],
      });
      t.equal(down.headers['retry-after'], '5');
    }
    t.equal((await get(server.port, '/health')).status, 200, 'liveness does not depend on the database');

    await allowConnections(name, true);
    const back = await get(server.port, '/ready');
    t.equal(back.status, 200, '/ready is 200 as soon as the database accepts connections again');
    t.same(JSON.parse(back.body), { status: 'ok', checks: { database: 'ok', redis: 'disabled' } });
  });

  t.test('start-up waits for a PostgreSQL that is not up yet, then migrates and serves', async (t) => {
    const database = await createTestDatabase(t, { migrate: false });
    // PostgreSQL "starts" when a forwarder opens on the port the service was given: until then it is refused.
    const port = await freePort();
    const url = new URL(database.url as string);
    url.host = `127.0.0.1:${port}`;
    const server = await startServer(t, { DATABASE_URL: url.toString() }, { listening: false });
    await server.waitForOutput(`ms for PostgreSQL at 127.0.0.1:${port}/`);
    t.match(server.output(), 'DB_STARTUP_TIMEOUT_MS', 'the wait names its setting');
    t.notMatch(server.output(), 'Server listening', 'nothing listens before the database is there');

    const target = new URL(adminUrl);
    const forwarder = createServer((client) => {
      const upstream = createConnection(Number(target.port || 5432), target.hostname);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    forwarder.listen(port, '127.0.0.1');
    await once(forwarder, 'listening');
    t.teardown(async () => {
      await server.stop();
      forwarder.close();
    });
    await server.waitForOutput('Server listening at');
    t.equal((await get(server.port, '/ready')).status, 200);

    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    const applied = await db.query('select name from kysely_migration');
    await db.end();
    t.ok(applied.rowCount && applied.rowCount > 0, 'migrations ran once the database was reachable');
  });

  t.test('start-up gives up after DB_STARTUP_TIMEOUT_MS with the reason, exit code 1', async (t) => {
    const url = new URL(adminUrl);
    url.host = `127.0.0.1:${await freePort()}`;
    const server = await startServer(
      t,
      { DATABASE_URL: url.toString(), DB_STARTUP_TIMEOUT_MS: '1000' },
      { listening: false, expectExit: true },
    );
    const exit = await Promise.race([
      server.exited,
      new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 15_000)),
    ]);
    t.same(exit, { code: 1, signal: null });
    const failed = server.output().split('\n').filter((line) => line.startsWith('start-up failed'));
    t.match(failed, [
      /^start-up failed: database not reachable after \d+ attempts in 1000 ms: connect ECONNREFUSED .*; check DATABASE_URL, or wait longer with DB_STARTUP_TIMEOUT_MS$/,
    ]);
    t.equal(server.output().split('ECONNREFUSED').length - 1, 1, 'the last error is shown once');
    t.notMatch(server.output(), 'Server listening');
  });

  t.test('MIGRATE_ON_START=false leaves migrations to their own step', async (t) => {
    const database = await createTestDatabase(t, { migrate: false });
    const server = await startServer(t, { DATABASE_URL: database.url, MIGRATE_ON_START: 'false' });
    t.equal((await get(server.port, '/health')).status, 200);
    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    const table = await db.query("select to_regclass('kysely_migration') as name");
    await db.end();
    t.same(table.rows, [{ name: null }], 'no migration ran at start-up');
  });
}
