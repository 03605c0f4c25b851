import type { FastifyInstance } from 'fastify';
import type { Test } from 'tap';
import type { Database } from '../../src/db/index.ts';
import { inject, tokenFor } from '../helpers/app.ts';
import { client } from '../helpers/client.ts';

/** Everything the casting tables hold, in a stable order: equal snapshots mean nothing was written. */
export async function castingSnapshot(db: Database) {
  return {
    actors: await db.selectFrom('actors').selectAll().orderBy('id').execute(),
    movies: await db.selectFrom('movies').selectAll().orderBy('id').execute(),
    links: await db.selectFrom('movie_actors').selectAll().orderBy(['movie_id', 'actor_id']).execute(),
  };
}

export async function actorsOfMovie(db: Database, movieId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('movie_actors')
    .select('actor_id')
    .where('movie_id', '=', movieId)
    .orderBy('actor_id')
    .execute();
  return rows.map((row) => row.actor_id);
}

/** Creates actors and movies through the API as an executive producer, failing loudly on anything but 201. */
export async function castingFixtures(app: FastifyInstance) {
  const api = client(app, await tokenFor(app, 'executive_producer'));
  let n = 0;
  return {
    async actor(
      fields: { name?: string; age?: number; gender?: 'M' | 'F' | 'X'; movies_id?: number[] } = {},
    ) {
      n += 1;
      const { data, response } = await api.POST('/actors', {
        body: { name: `Actor ${n}`, age: 30, gender: 'F', ...fields },
      });
      if (response.status !== 201 || !data) throw new Error(`creating an actor answered ${response.status}`);
      return data.actor;
    },
    async movie(actorsId: number[], fields: { title?: string; release_date?: string } = {}) {
      n += 1;
      const { data, response } = await api.POST('/movies', {
        body: { title: `Movie ${n}`, release_date: '2020-03-30', actors_id: actorsId, ...fields },
      });
      if (response.status !== 201 || !data) throw new Error(`creating a movie answered ${response.status}`);
      return data.movie;
    },
  };
}

/** The four requests that take an actor's or movie's id in the path: read, read details, update, delete. */
export function byIdRequests(area: 'actors' | 'movies', id: number | string, patch: object) {
  const details = area === 'actors' ? 'actor-details' : 'movie-details';
  return [
    { method: 'GET', url: `/${area}/${id}` },
    { method: 'GET', url: `/${details}/${id}` },
    { method: 'PATCH', url: `/${area}/${id}`, payload: patch },
    { method: 'DELETE', url: `/${area}/${id}` },
  ] as const;
}

export interface Refusal {
  message: string;
  details?: { field: string; message: string }[];
}

/** `refused(t, status, request)`: the request must answer `status` in the error shape and write nothing. */
export function refusals(app: FastifyInstance, db: Database, token: string) {
  return async (
    t: Test,
    status: number,
    request: { method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; url: string; payload?: unknown },
  ): Promise<Refusal> => {
    const before = await castingSnapshot(db);
    const { payload, ...rest } = request;
    const res = await inject(app, {
      token,
      ...rest,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    t.equal(res.statusCode, status, `${request.method} ${request.url} ${JSON.stringify(payload) ?? ''}`);
    const body = res.json<Refusal & { success: boolean; error: number }>();
    t.match(body, { success: false, error: status, message: String });
    t.same(await castingSnapshot(db), before, 'nothing written');
    return body;
  };
}
