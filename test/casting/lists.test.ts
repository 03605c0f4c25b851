import t from 'tap';
import type { components } from '../../generated/api.d.ts';
import { buildTestApp, inject, tokenFor } from '../helpers/app.ts';
import { client } from '../helpers/client.ts';
import { castingFixtures } from './fixtures.ts';

const { app } = await buildTestApp(t);
const token = await tokenFor(app, 'casting_assistant');
const api = client(app, token);
const fixtures = await castingFixtures(app);

const actors: components['schemas']['ActorDetail'][] = [];
const movies: components['schemas']['MovieDetail'][] = [];
let actorIds: number[] = [];
let movieIds: number[] = [];

t.test('empty lists, then 25 actors and 5 movies', async (t) => {
  t.same((await api.GET('/actors')).data, { success: true, actors: [], total_actors: 0 });
  t.same((await api.GET('/movies')).data, { success: true, movies: [], total_movies: 0 });
  for (let i = 0; i < 25; i++) actors.push(await fixtures.actor({ name: `Actor ${i}`, age: 20 + i }));
  for (let i = 0; i < 5; i++) movies.push(await fixtures.movie([actors[i + 1]?.id ?? 0, actors[0]?.id ?? 0]));
  actorIds = actors.map((a) => a.id);
  movieIds = movies.map((m) => m.id);
});

t.test('actors page by id, 20 by default, with the related ids', async (t) => {
  const first = await api.GET('/actors');
  t.equal(first.data?.total_actors, 25);
  t.same(
    first.data?.actors.map((a) => a.id),
    actorIds.slice(0, 20),
  );
  t.same(first.data?.actors[0], {
    id: actors[0]?.id,
    name: 'Actor 0',
    age: 20,
    gender: 'F',
    movies_id: movieIds,
  });
  t.same(first.data?.actors[1]?.movies_id, [movieIds[0]]);
  t.same(first.data?.actors[10]?.movies_id, []);

  const second = await api.GET('/actors', { params: { query: { page: 2 } } });
  t.same(
    second.data?.actors.map((a) => a.id),
    actorIds.slice(20),
  );
  const small = await api.GET('/actors', { params: { query: { page: 3, limit: 4 } } });
  t.same(
    small.data?.actors.map((a) => a.id),
    actorIds.slice(8, 12),
  );
  const all = await api.GET('/actors', { params: { query: { limit: 100 } } });
  t.equal(all.data?.actors.length, 25);
});

t.test('movies page by id, with date_release and the cast ids', async (t) => {
  const res = await api.GET('/movies', { params: { query: { limit: 2, page: 2 } } });
  t.equal(res.data?.total_movies, 5);
  t.same(res.data?.movies, [
    {
      id: movieIds[2],
      title: movies[2]?.title,
      release_date: '2020-03-30',
      date_release: '20200330',
      actors_id: [actorIds[0], actorIds[3]],
    },
    {
      id: movieIds[3],
      title: movies[3]?.title,
      release_date: '2020-03-30',
      date_release: '20200330',
      actors_id: [actorIds[0], actorIds[4]],
    },
  ]);
});

t.test('a page past the end is empty, with the real total', async (t) => {
  for (const page of [2, 1000, 9007199254740991]) {
    const res = await inject(app, { method: 'GET', url: `/movies?page=${page}&limit=5`, token });
    t.equal(res.statusCode, 200, `page ${page}`);
    t.same(res.json(), { success: true, movies: [], total_movies: 5 });
  }
  const res = await inject(app, { method: 'GET', url: '/actors?page=6&limit=5', token });
  t.same(res.json(), { success: true, actors: [], total_actors: 25 });
});

t.test('page and limit outside their bounds are 400 naming them', async (t) => {
  for (const path of ['/actors', '/movies']) {
    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=2.5', 'limit'],
      ['limit=-1', 'limit'],
      ['page=0', 'page'],
      ['page=-3', 'page'],
      ['page=two', 'page'],
    ]) {
      const res = await inject(app, { method: 'GET', url: `${path}?${query}`, token });
      t.equal(res.statusCode, 400, `${path}?${query}`);
      t.match(res.json(), { success: false, error: 400, details: [{ field }] });
    }
  }
});
