// PostgreSQL up but refusing the service's new connections: every such failure is a 503 with Retry-After in the
// error shape, never a 500, whatever the SQLSTATE; and the service answers again once the database lets it in.
import pg from 'pg';
import t, { type Test } from 'tap';
import { assertMatchesSpec } from '../helpers/contract.ts';
import { postgresBin, startPrivatePostgres } from '../helpers/private-postgres.ts';
import { startServer } from '../helpers/server-process.ts';

const bin = postgresBin();
const ROLE = 'marquee_app';
const HOG = 'marquee_hog';
// 3 of the 12 slots stay reserved for superusers: a non-superuser role meets the limit as a client would.
const MAX_CONNECTIONS = 12;

if (!bin) {
  t.plan(0, 'no PostgreSQL installed under /usr/lib/postgresql: the test starts a cluster of its own');
} else {
  const cluster = await startPrivatePostgres(t, bin, {
    maxConnections: MAX_CONNECTIONS,
    hba: [`host all ${ROLE} 127.0.0.1/32 scram-sha-256`],
  });
  const admin = new pg.Client({ connectionString: cluster.url });
  await admin.connect();
  t.teardown(() => admin.end());
  await admin.query(`create role ${ROLE} login password 'first-password'`);
  await admin.query(`create role ${HOG} login`);
  await admin.query(`create database marquee owner ${ROLE}`);

  const url = new URL(cluster.url);
  url.username = ROLE;
  url.password = 'first-password';
  url.pathname = '/marquee';
  const server = await startServer(t, { DATABASE_URL: url.href, DB_POOL_SIZE: '3', LOG_LEVEL: 'warn' });

  const PATH = '/api/messages';
  const read = async () => {
    const response = await fetch(`${server.url}${PATH}`);
    const body = await response.text();
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body, response };
  };
  /** Drops the service's open connections, so its next requests must open new ones. */
  const disconnectService = () =>
    admin.query('select pg_terminate_backend(pid) from pg_stat_activity where usename = $1', [ROLE]);

  /** Twenty reads while the database refuses: each a 503 in the error shape with Retry-After. */
  const expectUnavailable = async (t: Test, sqlstate: string) => {
    for (let i = 0; i < 20; i++) {
      const { status, retryAfter, body, response } = await read();
      t.equal(status, 503, `${sqlstate}: read ${i + 1} is a 503`);
      if (status !== 503) {
        t.comment(body);
        return;
      }
      t.equal(retryAfter, '5', `${sqlstate}: Retry-After`);
      t.match(JSON.parse(body), { success: false, error: 503, code: 'dependency_unavailable', message: String });
      assertMatchesSpec('GET', PATH, {
        statusCode: status,
        headers: Object.fromEntries(response.headers),
        body,
      });
    }
  };

  const expectRecovered = async (t: Test, what: string) => {
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = (await read()).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    t.equal(status, 200, `${what}: reads succeed again`);
  };

  t.test('before any fault, reads succeed', async (t) => {
    await expectRecovered(t, 'start');
  });

  t.test('ALLOW_CONNECTIONS false (55000)', async (t) => {
    await admin.query('alter database marquee allow_connections false');
    await disconnectService();
    await expectUnavailable(t, '55000');
    await admin.query('alter database marquee allow_connections true');
    await expectRecovered(t, '55000');
  });

  t.test('every non-reserved slot used up by other clients (53300)', async (t) => {
    const hogs: pg.Client[] = [];
    t.teardown(() => Promise.all(hogs.map((hog) => hog.end().catch(() => {}))));
    await disconnectService();
    const hogUrl = new URL(cluster.url);
    hogUrl.username = HOG;
    let refused: unknown;
    for (let i = 0; i < MAX_CONNECTIONS && refused === undefined; i++) {
      const hog = new pg.Client({ connectionString: hogUrl.href });
      hog.on('error', () => {});
      try {
        await hog.connect();
        hogs.push(hog);
      } catch (error) {
        refused = error;
      }
    }
    t.match(refused, { code: '53300' }, `the slots are used up after ${hogs.length} connections`);
    await disconnectService();
    await expectUnavailable(t, '53300');
    await Promise.all(hogs.splice(0).map((hog) => hog.end()));
    await expectRecovered(t, '53300');
  });

  t.test('the database dropped (3D000): renamed away, then back', async (t) => {
    await admin.query('alter database marquee allow_connections false');
    await disconnectService();
    await admin.query('alter database marquee rename to marquee_gone');
    await admin.query('alter database marquee_gone allow_connections true');
    await expectUnavailable(t, '3D000');
    await admin.query('alter database marquee_gone rename to marquee');
    await expectRecovered(t, '3D000');
  });

  t.test("the role's password changed (28P01)", async (t) => {
    await admin.query(`alter role ${ROLE} password 'second-password'`);
    await disconnectService();
    await expectUnavailable(t, '28P01');
    await admin.query(`alter role ${ROLE} password 'first-password'`);
    await expectRecovered(t, '28P01');
  });

  t.test('no answer was a 500 and the server logged no unhandled error', async (t) => {
    const unhandled = server.logs.filter((line) => line.msg === 'unhandled error');
    t.same(unhandled, [], 'no unhandled error in the log');
  });
}
