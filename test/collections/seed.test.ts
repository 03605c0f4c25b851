// The movie-collections seed's requests, sent as the seed writes them, and the fields its responses promise.
import t from 'tap';
import { buildTestApp, inject } from '../helpers/app.ts';
import { createUser } from '../helpers/users.ts';

const { app, db } = await buildTestApp(t);
const { token } = await createUser(app, db);

const satana = {
  title: 'Satana likuyushchiy',
  description:
    'In a small town live two brothers, one a minister and the other one a hunchback painter of the chapel.',
  genres: 'Drama,Comedy',
  uuid: '2a2cbab5-cd96-4e06-a48e-54d9b6d3a52a',
};
const queerama = {
  title: 'Queerama',
  description:
    '50 years after decriminalisation of homosexuality in the UK, director Daisy Asquith mines the jewels of the BFI archive.',
  genres: '',
  uuid: '57baf4f4-c9ef-4197-9e4f-acf04eae5b4d',
};
const action = {
  title: 'Mad Max: Fury Road',
  description: 'In a post-apocalyptic wasteland, a woman rebels against a tyrannical ruler.',
  genres: 'Action,Adventure,Drama',
  uuid: 'f0a3c1de-2b47-4c5e-9a8d-6b1e2f3a4c5d',
};

t.test('the seed walk-through: create, list, update, read, delete', async (t) => {
  // POST http://localhost:8000/collection/
  const created = await inject(app, {
    method: 'POST',
    url: '/collection/',
    token,
    payload: {
      title: 'Sunday afternoons',
      description: 'Films for a slow Sunday.',
      movies: [satana, queerama],
    },
  });
  t.equal(created.statusCode, 201);
  const collectionUuid: string = created.json().collection_uuid;
  t.match(collectionUuid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

  // GET http://localhost:8000/collection/
  const list = await inject(app, { method: 'GET', url: '/collection/', token });
  t.equal(list.statusCode, 200);
  t.same(list.json(), {
    is_success: true,
    data: {
      collections: [
        { title: 'Sunday afternoons', uuid: collectionUuid, description: 'Films for a slow Sunday.' },
      ],
      favourite_genres: 'Comedy, Drama',
    },
  });

  // PUT http://localhost:8000/collection/<collection_uuid>/
  const updated = await inject(app, {
    method: 'PUT',
    url: `/collection/${collectionUuid}/`,
    token,
    payload: { title: 'Rainy Sundays', description: 'Films for a wet Sunday.', movies: [satana, action] },
  });
  t.equal(updated.statusCode, 200);

  // GET http://localhost:8000/collection/<collection_uuid>/
  const read = await inject(app, { method: 'GET', url: `/collection/${collectionUuid}/`, token });
  t.equal(read.statusCode, 200);
  t.match(read.json(), {
    title: 'Rainy Sundays',
    description: 'Films for a wet Sunday.',
    movies: [satana, action],
  });
  t.same(read.json().movies, [satana, action], 'movies come back exactly as sent');
  t.same(updated.json(), read.json(), 'PUT answers with the collection as GET shows it');

  const genres = await inject(app, { method: 'GET', url: '/collection/', token });
  t.equal(genres.json().data.favourite_genres, 'Drama, Action, Adventure');

  // DELETE http://localhost:8000/collection/<collection_uuid>/
  const deleted = await inject(app, { method: 'DELETE', url: `/collection/${collectionUuid}/`, token });
  t.equal(deleted.statusCode, 204);
  const after = await inject(app, { method: 'GET', url: '/collection/', token });
  t.same(after.json(), { is_success: true, data: { collections: [], favourite_genres: '' } });
});

t.test('a movie exactly as the catalogue answered it, nulls included, is accepted', async (t) => {
  const lateBloomers = {
    title: 'Late Bloomers',
    description: null,
    genres: null,
    uuid: '6c8e5b5a-5b1c-4c8a-9d3b-2f0e1a7c9d11',
  };
  const res = await inject(app, {
    method: 'POST',
    url: '/collection/',
    token,
    payload: { title: 'Odd ones', description: 'No genres at all.', movies: [lateBloomers] },
  });
  t.equal(res.statusCode, 201);
  const read = await inject(app, { method: 'GET', url: `/collection/${res.json().collection_uuid}/`, token });
  t.same(read.json().movies, [lateBloomers]);
});
