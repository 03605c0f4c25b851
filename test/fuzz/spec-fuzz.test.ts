import fc from 'fast-check';
import t from 'tap';
import { catalogEnv, fakeUpstream } from '../catalog/fixtures.ts';
import { buildTestApp, inject } from '../helpers/app.ts';
import { assertMatchesSpec } from '../helpers/contract.ts';
import { snapshotAllTables } from '../helpers/snapshot.ts';
import { createUser } from '../helpers/users.ts';
import { bodyRequests, formatRequests } from './edges.ts';
import { type FuzzRequest, MUST_REFUSE, operations, type PathValues, requestsFor } from './generators.ts';

// FUZZ_SEED=n replays a run; every failure message carries the seed that produced it.
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_130);
const MINIMUM_REQUESTS = 3000;

const fake = await fakeUpstream(t);
const { app, db } = await buildTestApp(t, { ...catalogEnv(fake), RATE_LIMIT_AUTH_MAX: '1000000' });
const admin = await createUser(app, db, { role: 'admin' });
const target = await createUser(app, db);
const created = async (url: string, payload: object) => {
  const res = await inject(app, { method: 'POST', url, token: admin.token, payload });
  if (res.statusCode !== 201) throw new Error(`seeding ${url}: ${res.statusCode} ${res.body}`);
  return res.json();
};
const actor = (await created('/actors', { name: 'Fuzz Actor', age: 40, gender: 'F' })).actor.id as number;
const movie = (await created('/movies', { title: 'Fuzz Movie', release_date: '2020-03-30', actors_id: [actor] })).movie
  .id as number;
const message = (await created('/api/messages', { content: 'fuzz message' })).id as number;
const collection = (await created('/collection/', { title: 'Fuzz collection', movies: [] })).collection_uuid as string;

/** Real rows behind every path, so a malformed spelling of a real id would show if it reached one. */
function pathValues(template: string): PathValues {
  const id = template.startsWith('/act')
    ? actor
    : template.startsWith('/movie')
      ? movie
      : template.startsWith('/api/messages')
        ? message
        : target.id;
  return { id: String(id), uuid: collection, movie_uuid: '57baf4f4-c9ef-4197-9e4f-acf04eae5b4d' };
}

let lastAuditId = 0;
/** Audit events appended since the last call that are not failed sign-ins. */
async function auditAppended(): Promise<{ other: number }> {
  const rows = await db.selectFrom('audit_events').select(['id', 'action']).where('id', '>', lastAuditId).execute();
  lastAuditId = Math.max(lastAuditId, ...rows.map((row) => row.id));
  return { other: rows.filter((row) => row.action !== 'sign_in_failed').length };
}

t.test('malformed requests to every operation of openapi.yaml: no 5xx, the error shape, nothing written', async (t) => {
  const all = operations();
  const perOperation = Math.ceil(MINIMUM_REQUESTS / all.length) + 5;
  const histogram: Record<string, number> = {};
  const failures: string[] = [];
  let sent = 0;
  let fixedSent = 0;
  let baseline = await snapshotAllTables(db);

  for (const [index, op] of all.entries()) {
    const seed = SEED + index;
    const values = pathValues(op.template);
    const fixed = [...bodyRequests(op, values), ...formatRequests(op, values)];
    fixedSent += fixed.length;
    const requests = [...fc.sample(requestsFor(op, values), { seed, numRuns: perOperation }), ...fixed];
    for (const request of requests) {
      const headers =
        op.secured && request.headers.authorization === undefined
          ? { ...request.headers, authorization: `Bearer ${admin.token}` }
          : request.headers;
      const describe = (problem: string) =>
        `seed ${seed} (FUZZ_SEED=${SEED}), ${op.id} [${request.kind}] ${request.method} ${request.url.slice(0, 120)} ` +
        `${JSON.stringify(request.payload?.slice(0, 120) ?? '')}: ${problem}`;
      const res = await app.inject({ ...(request as FuzzRequest & { method: 'GET' }), headers });
      sent += 1;
      histogram[res.statusCode] = (histogram[res.statusCode] ?? 0) + 1;
      if (res.statusCode >= 500) failures.push(describe(`${res.statusCode} ${res.body.slice(0, 200)}`));
      if (request.kind.startsWith(MUST_REFUSE) && res.statusCode < 400) {
        failures.push(describe(`${res.statusCode}: another spelling of a real id was accepted`));
      }
      try {
        assertMatchesSpec(request.method, request.url, {
          statusCode: res.statusCode,
          headers: res.headers,
          body: res.body,
        });
        if (res.statusCode >= 400) {
          const body = res.json();
          if (body.success !== false || body.error !== res.statusCode || typeof body.message !== 'string') {
            throw new Error(`not the error shape: ${res.body.slice(0, 200)}`);
          }
        }
      } catch (error) {
        failures.push(describe((error as Error).message.slice(0, 300)));
      }
      const after = await snapshotAllTables(db);
      const appended = await auditAppended();
      if (res.statusCode >= 400 && res.statusCode < 500) {
        // The audit trail records failed sign-ins by design; any other event, or any other row, is a write.
        const changed = Object.keys(after).filter((table) => after[table] !== baseline[table] && table !== 'audit_events');
        if (appended.other > 0) changed.push(`audit_events (${appended.other} events other than sign_in_failed)`);
        if (changed.length > 0) failures.push(describe(`${res.statusCode}, yet rows changed in ${changed.join(', ')}`));
      }
      baseline = after;
    }
  }

  t.comment(`fuzz: ${sent} requests over ${all.length} operations, seed ${SEED}; statuses ${JSON.stringify(histogram)}`);
  t.comment(`fuzz: ${fixedSent} of them without a body, with a wrong Content-Length or a format's odd spelling`);
  t.ok(sent >= MINIMUM_REQUESTS, `${sent} requests sent`);
  for (const failure of failures.slice(0, 25)) t.comment(failure);
  t.same(failures.slice(0, 25), [], `${failures.length} failures (replay with FUZZ_SEED=${SEED})`);
});
