import t from 'tap';
import { postgresBin, startPrivatePostgres } from '../helpers/private-postgres.ts';
import { SERVER_ADMIN, serverToken, startServer } from '../helpers/server-process.ts';

const bin = postgresBin();
if (!bin) {
  t.plan(0, 'no PostgreSQL installed under /usr/lib/postgresql: the test stops and starts a cluster of its own');
} else {
  t.test('PostgreSQL stopped under load: 503 with Retry-After, never a 500; 200s again once it is back', async (t) => {
    const pg = await startPrivatePostgres(t, bin);
    const server = await startServer(t, { DATABASE_URL: pg.url, LOG_LEVEL: 'warn', ...SERVER_ADMIN });
    const member = await serverToken([server.url], 'member');
    const auth = { authorization: `Bearer ${member}` };
    const kinds = [
      { name: 'anonymous read', method: 'GET', path: '/api/messages', headers: {} },
      { name: 'authenticated read', method: 'GET', path: '/api/v1/user', headers: auth },
      { name: 'write', method: 'POST', path: '/api/messages', headers: auth, body: { content: 'hello' } },
    ] as const;

    type Seen = { status: number; retryAfter: string | null; body: string };
    const send = async (kind: (typeof kinds)[number]): Promise<Seen> => {
      const response = await fetch(`${server.url}${kind.path}`, {
        method: kind.method,
        headers: { ...kind.headers, ...('body' in kind ? { 'content-type': 'application/json' } : {}) },
        ...('body' in kind ? { body: JSON.stringify(kind.body) } : {}),
      });
      return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.text() };
    };

    const seen: Seen[] = [];
    let phase: 'up' | 'down' | 'restarting' = 'up';
    let stop = false;
    const downStatuses: number[] = [];
    // Eight clients, each sending one request after another until told to stop (and at most 3 000 each).
    const load = Promise.all(
      Array.from({ length: 8 }, async (_, client) => {
        for (let i = client; !stop && i < client + 3000; i++) {
          // Only a request sent and answered while PostgreSQL was down says how an outage is answered: one
          // answered around the stop or the restart may have reached the database.
          const sentWhileDown = phase === 'down';
          const result = await send(kinds[i % kinds.length]!);
          seen.push(result);
          if (sentWhileDown && phase === 'down') downStatuses.push(result.status);
        }
      }),
    );

    const waitFor = async (check: () => boolean, what: string) => {
      for (let i = 0; i < 600 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      if (!check()) throw new Error(`gave up waiting for ${what}`);
    };
    await waitFor(() => seen.filter((s) => s.status < 300).length >= 30, 'successful requests before the outage');
    await pg.stop();
    phase = 'down';
    await waitFor(() => downStatuses.filter((s) => s === 503).length >= 30, '503s while PostgreSQL is down');
    phase = 'restarting';
    await pg.start();
    stop = true;
    await load;

    const failures = seen.filter((s) => s.status >= 500 && s.status !== 503);
    t.same(failures, [], 'no 5xx other than 503');
    if (failures.length > 0) {
      t.comment(`what the server logged as errors: ${JSON.stringify(server.logs.filter((l) => Number(l.level) >= 50))}`);
    }
    const unavailable = seen.filter((s) => s.status === 503);
    t.ok(unavailable.length >= 30, `${unavailable.length} answers were 503 while PostgreSQL was down`);
    for (const answer of unavailable) {
      t.equal(answer.retryAfter, '5', 'Retry-After on every 503');
      t.match(JSON.parse(answer.body), { success: false, error: 503, message: String });
    }
    t.same(
      downStatuses.filter((s) => s !== 503 && s !== 200),
      [],
      'while down, answers are 503 (or 200 where no database was needed)',
    );

    // Once PostgreSQL is back, the pool opens new connections: every kind of request succeeds again.
    for (const kind of kinds) {
      let status = 0;
      for (let i = 0; i < 100 && status !== (kind.method === 'POST' ? 201 : 200); i++) {
        status = (await send(kind)).status;
        if (status === 503) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      t.equal(status, kind.method === 'POST' ? 201 : 200, `${kind.name} succeeds again`);
    }
  });
}
