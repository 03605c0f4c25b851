import t from 'tap';
import { buildTestApp, inject } from '../helpers/app.ts';
import { createUser } from '../helpers/users.ts';
import { castingFixtures, castingSnapshot } from './fixtures.ts';

// The role table (openapi.yaml, bearerAuth), operation by operation: which roles may call each casting operation.
const { app, db } = await buildTestApp(t);
const fixtures = await castingFixtures(app);

const ASSISTANT_UP = ['casting_assistant', 'casting_director', 'executive_producer', 'admin'];
const DIRECTOR_UP = ['casting_director', 'executive_producer', 'admin'];
const PRODUCER_UP = ['executive_producer', 'admin'];

interface Call {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  payload?: object;
}

/** Each operation with the roles allowed, its success status, and a fresh valid request (made anew per caller). */
const operations: { id: string; allowed: string[]; success: number; call: () => Promise<Call> }[] = [
  {
    id: 'listActors',
    allowed: ASSISTANT_UP,
    success: 200,
    call: async () => ({ method: 'GET', url: '/actors' }),
  },
  {
    id: 'createActor',
    allowed: DIRECTOR_UP,
    success: 201,
    call: async () => ({ method: 'POST', url: '/actors', payload: { name: 'Mangus', age: 38, gender: 'M' } }),
  },
  {
    id: 'getActor',
    allowed: ASSISTANT_UP,
    success: 200,
    call: async () => ({ method: 'GET', url: `/actors/${(await fixtures.actor()).id}` }),
  },
  {
    id: 'getActorDetails',
    allowed: ASSISTANT_UP,
    success: 200,
    call: async () => ({ method: 'GET', url: `/actor-details/${(await fixtures.actor()).id}` }),
  },
  {
    id: 'updateActor',
    allowed: DIRECTOR_UP,
    success: 200,
    call: async () => ({
      method: 'PATCH',
      url: `/actors/${(await fixtures.actor()).id}`,
      payload: { age: 31 },
    }),
  },
  {
    id: 'deleteActor',
    allowed: DIRECTOR_UP,
    success: 200,
    call: async () => ({ method: 'DELETE', url: `/actors/${(await fixtures.actor()).id}` }),
  },
  {
    id: 'listMovies',
    allowed: ASSISTANT_UP,
    success: 200,
    call: async () => ({ method: 'GET', url: '/movies' }),
  },
  {
    id: 'createMovie',
    allowed: PRODUCER_UP,
    success: 201,
    call: async () => ({
      method: 'POST',
      url: '/movies',
      payload: { title: 'Genesis II', date_release: '20200403', actors_id: [(await fixtures.actor()).id] },
    }),
  },
  {
    id: 'getMovie',
    allowed: ASSISTANT_UP,
    success: 200,
    call: async () => ({
      method: 'GET',
      url: `/movies/${(await fixtures.movie([(await fixtures.actor()).id])).id}`,
    }),
  },
  {
    id: 'getMovieDetails',
    allowed: ASSISTANT_UP,
    success: 200,
    call: async () => ({
      method: 'GET',
      url: `/movie-details/${(await fixtures.movie([(await fixtures.actor()).id])).id}`,
    }),
  },
  {
    id: 'updateMovie',
    allowed: DIRECTOR_UP,
    success: 200,
    call: async () => ({
      method: 'PATCH',
      url: `/movies/${(await fixtures.movie([(await fixtures.actor()).id])).id}`,
      payload: { title: 'Renamed' },
    }),
  },
  {
    id: 'deleteMovie',
    allowed: PRODUCER_UP,
    success: 200,
    call: async () => ({
      method: 'DELETE',
      url: `/movies/${(await fixtures.movie([(await fixtures.actor()).id])).id}`,
    }),
  },
];

const callers: { role: string; token: string | undefined }[] = [{ role: 'no token', token: undefined }];
for (const role of ['member', 'casting_assistant', 'casting_director', 'executive_producer', 'admin'] as const) {
  callers.push({ role, token: (await createUser(app, db, { role })).token });
}

t.test('every casting operation answers exactly as the role table says', async (t) => {
  t.equal(operations.length, 12, 'all twelve casting operations');
  for (const operation of operations) {
    for (const { role, token } of callers) {
      const call = await operation.call();
      const before = await castingSnapshot(db);
      const res = await inject(app, { ...call, ...(token ? { token } : {}) });
      const label = `${role} × ${operation.id} (${call.method} ${call.url})`;
      if (token === undefined) {
        t.equal(res.statusCode, 401, label);
        t.equal(res.headers['www-authenticate'], 'Bearer', `${label}: WWW-Authenticate`);
      } else if (operation.allowed.includes(role)) {
        t.equal(res.statusCode, operation.success, label);
        continue;
      } else {
        t.equal(res.statusCode, 403, label);
      }
      t.match(res.json(), { success: false, error: res.statusCode }, `${label}: error shape`);
      t.same(await castingSnapshot(db), before, `${label}: nothing written`);
    }
  }
});

t.test('a refused caller learns nothing about the body or the id', async (t) => {
  const member = callers.find((c) => c.role === 'member')?.token;
  const assistant = callers.find((c) => c.role === 'casting_assistant')?.token;
  const before = await castingSnapshot(db);
  // Permission is checked before the body is validated and before the id is looked up.
  const bad = await inject(app, {
    method: 'POST',
    url: '/actors',
    token: assistant,
    payload: { age: 'old' },
  });
  t.equal(bad.statusCode, 403);
  const missing = await inject(app, { method: 'DELETE', url: '/movies/999999', token: member });
  t.equal(missing.statusCode, 403);
  const anonymous = await inject(app, { method: 'GET', url: '/actors/999999' });
  t.equal(anonymous.statusCode, 401);
  t.same(await castingSnapshot(db), before, 'nothing written');
});
