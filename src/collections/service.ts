import { checkPrecondition, type Precondition } from '../conditional/tags.ts';
import type { Database } from '../db/index.ts';
import { notFound } from '../errors/index.ts';
import {
  appendCollectionMovie,
  type CatalogMovieInput,
  type CollectionRow,
  computeFavouriteGenres,
  deleteCollection as deleteCollectionRow,
  findCollection,
  findStoredFavouriteGenres,
  insertCollection,
  listCollections as listCollectionRows,
  lockCollection,
  removeCollectionMovie,
  replaceCollectionMovies,
  storeFavouriteGenres,
  touchCollection,
  upsertCatalogMovies,
} from './queries.ts';

// A collection is only ever its owner's: every function takes the owner's id, and another user's collection
// is "not found", never "forbidden", so its existence does not leak.

const missing = (uuid: string) => notFound(`collection ${uuid} not found`);

/**
 * One entry per movie: a uuid sent twice keeps its first place and the data sent last. Uuids are compared
 * lower-cased, as PostgreSQL's uuid type does.
 */
function mergeDuplicates(movies: readonly CatalogMovieInput[]): CatalogMovieInput[] {
  const merged = new Map<string, CatalogMovieInput>();
  for (const movie of movies) merged.set(movie.uuid.toLowerCase(), movie);
  return [...merged.values()];
}

/** Stores the movies as sent (the catalogue is not asked) and makes them the collection's, in order. */
async function setMovies(db: Database, collectionId: string, movies: readonly CatalogMovieInput[]) {
  const merged = mergeDuplicates(movies);
  await upsertCatalogMovies(db, merged);
  await replaceCollectionMovies(
    db,
    collectionId,
    merged.map((movie) => movie.uuid),
  );
}

async function collectionOf(db: Database, uuid: string, userId: number): Promise<CollectionRow> {
  const row = await findCollection(db, uuid, userId);
  if (!row) throw missing(uuid);
  return row;
}

/** The stored favourite genres, or computed and stored when a change cleared them. */
async function favouriteGenresOf(db: Database, userId: number): Promise<string> {
  const stored = await findStoredFavouriteGenres(db, userId);
  if (stored?.genres != null) return stored.genres;
  const genres = await computeFavouriteGenres(db, userId);
  await storeFavouriteGenres(db, userId, genres, stored?.version);
  return genres;
}

export async function listCollections(db: Database, userId: number) {
  const [collections, favouriteGenres] = await Promise.all([
    listCollectionRows(db, userId),
    favouriteGenresOf(db, userId),
  ]);
  return { collections, favouriteGenres };
}

export async function createCollection(
  db: Database,
  userId: number,
  collection: { title: string; description: string | null; movies: readonly CatalogMovieInput[] },
): Promise<string> {
  return db.transaction().execute(async (trx) => {
    const { title, description } = collection;
    const id = await insertCollection(trx, { userId, title, description });
    await setMovies(trx, id, collection.movies);
    return id;
  });
}

export const getCollection = collectionOf;

/** With an If-Match, locks the collection and checks its tag (the tag of the row a GET returns). */
async function checkCollection(db: Database, uuid: string, userId: number, precondition?: Precondition) {
  if (precondition === undefined) return;
  if (!(await lockCollection(db, uuid, userId))) throw missing(uuid);
  checkPrecondition(precondition, await collectionOf(db, uuid, userId));
}

export async function updateCollection(
  db: Database,
  userId: number,
  uuid: string,
  changes: { title?: string; description?: string | null; movies?: readonly CatalogMovieInput[] | undefined },
  precondition?: Precondition,
): Promise<CollectionRow> {
  const { movies, ...fields } = changes;
  return db.transaction().execute(async (trx) => {
    await checkCollection(trx, uuid, userId, precondition);
    // Touching the row locks it: concurrent edits of one collection's movie list queue up.
    if (!(await touchCollection(trx, uuid, userId, fields))) throw missing(uuid);
    if (movies) await setMovies(trx, uuid, movies);
    return collectionOf(trx, uuid, userId);
  });
}

export async function deleteCollection(
  db: Database,
  userId: number,
  uuid: string,
  precondition?: Precondition,
): Promise<void> {
  if (precondition === undefined) {
    if (!(await deleteCollectionRow(db, uuid, userId))) throw missing(uuid);
    return;
  }
  await db.transaction().execute(async (trx) => {
    await checkCollection(trx, uuid, userId, precondition);
    await deleteCollectionRow(trx, uuid, userId);
  });
}

export async function addMovie(
  db: Database,
  userId: number,
  uuid: string,
  movie: CatalogMovieInput,
): Promise<CollectionRow> {
  return db.transaction().execute(async (trx) => {
    if (!(await touchCollection(trx, uuid, userId))) throw missing(uuid);
    await upsertCatalogMovies(trx, [movie]);
    await appendCollectionMovie(trx, uuid, movie.uuid);
    return collectionOf(trx, uuid, userId);
  });
}

export async function removeMovie(db: Database, userId: number, uuid: string, movie: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (!(await touchCollection(trx, uuid, userId))) throw missing(uuid);
    const removed = await removeCollectionMovie(trx, uuid, movie);
    if (!removed) throw notFound(`movie ${movie} is not in collection ${uuid}`);
  });
}
