import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/index.ts';
import { inject } from '../helpers/app.ts';
import { rowCount } from '../helpers/database.ts';

export interface MovieInput {
  title: string;
  description?: string | null;
  genres?: string | null;
  uuid: string;
}

export function movie(genres: string | null, title = `Movie ${genres ?? 'without genres'}`): MovieInput {
  return { title, description: `About ${title}.`, genres, uuid: randomUUID() };
}

export async function createCollection(
  app: FastifyInstance,
  token: string,
  movies: MovieInput[],
  title = 'A collection',
): Promise<string> {
  const res = await inject(app, { method: 'POST', url: '/collection/', token, payload: { title, movies } });
  if (res.statusCode !== 201) throw new Error(`creating a collection: ${res.statusCode} ${res.body}`);
  return res.json().collection_uuid;
}

export async function favouriteGenres(app: FastifyInstance, token: string): Promise<string> {
  const res = await inject(app, { method: 'GET', url: '/collection/', token });
  if (res.statusCode !== 200) throw new Error(`listing collections: ${res.statusCode} ${res.body}`);
  return res.json().data.favourite_genres;
}

/** Row counts of the area's tables, to show a refused request wrote nothing. */
export async function tableCounts(db: Database) {
  return {
    collections: await rowCount(db, 'collections'),
    catalog_movies: await rowCount(db, 'catalog_movies'),
    collection_movies: await rowCount(db, 'collection_movies'),
  };
}
