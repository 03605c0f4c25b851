import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Test } from 'tap';
import type { Database } from '../../src/db/index.ts';
import { unwrap } from '../../sdk/src/index.ts';
import { buildTestApp } from '../helpers/app.ts';
import { client } from '../helpers/client.ts';
import { rowCount } from '../helpers/database.ts';
import { createUser } from '../helpers/users.ts';

export interface MovieInput {
  title: string;
  description?: string | null;
  genres?: string | null;
  uuid: string;
}

export function movie(genres: string | null, title = `Movie ${genres ?? 'without genres'}`): MovieInput {
  return { title, description: `About ${title}.`, genres, uuid: randomUUID() };
}

/** This file's app and database with two users, alice and bob, and their typed clients. */
export async function collectors(t: Test) {
  const { app, db } = await buildTestApp(t);
  const alice = await createUser(app, db);
  const bob = await createUser(app, db);
  return { app, db, alice, bob, asAlice: client(app, alice.token), asBob: client(app, bob.token) };
}

/** Creates a collection through the typed client; anything but 201 throws with the status and message. */
export async function createCollection(
  app: FastifyInstance,
  token: string,
  movies: MovieInput[],
  title = 'A collection',
): Promise<string> {
  return (await unwrap(client(app, token).POST('/collection/', { body: { title, movies } }))).collection_uuid;
}

export async function favouriteGenres(app: FastifyInstance, token: string): Promise<string> {
  return (await unwrap(client(app, token).GET('/collection/'))).data.favourite_genres;
}

/** Row counts of the area's tables, to show a refused request wrote nothing. */
export async function tableCounts(db: Database) {
  return {
    collections: await rowCount(db, 'collections'),
    catalog_movies: await rowCount(db, 'catalog_movies'),
    collection_movies: await rowCount(db, 'collection_movies'),
  };
}
