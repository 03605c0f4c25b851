import type { AddressInfo } from 'node:net';
import t from 'tap';
import { buildTestApp, tokenFor } from '../helpers/app.ts';
import { castingFixtures } from '../casting/fixtures.ts';

// Two casting directors edit one movie from the same ETag at the same moment, over real connections: the
// check runs with the movie locked in each write's transaction, so exactly one edit wins and the other is 412.

const { app } = await buildTestApp(t);
await app.listen({ port: 0, host: '127.0.0.1' });
const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
const token = await tokenFor(app, 'casting_director');
const fixtures = await castingFixtures(app);
const actor = await fixtures.actor();
const ROUNDS = 5;

const call = (method: string, path: string, headers: Record<string, string> = {}, body?: object) =>
  fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(30_000),
  });

t.test('two If-Match edits of one movie at once: exactly one wins, the other is 412 and changes nothing', async (t) => {
  for (let round = 0; round < ROUNDS; round++) {
    const film = await fixtures.movie([actor.id]);
    const path = `/movies/${film.id}`;
    const tag = (await call('GET', path)).headers.get('etag') ?? '';
    const titles = [`First ${round}`, `Second ${round}`];
    const answers = await Promise.all(titles.map((title) => call('PATCH', path, { 'if-match': tag }, { title })));
    const statuses = answers.map((answer) => answer.status).sort();
    t.same(statuses, [200, 412], `round ${round}: one 200 and one 412`);
    const winner = titles[answers.findIndex((answer) => answer.status === 200)];
    const loser = answers.find((answer) => answer.status === 412);
    t.equal(((await loser?.json()) as { code?: string } | undefined)?.code, 'precondition_failed');
    const stored = (await (await call('GET', path)).json()) as { movie: { title: string } };
    t.equal(stored.movie.title, winner, `round ${round}: the winner's title is stored`);
  }
});
