import t from 'tap';
import { buildTestApp, inject } from '../helpers/app.ts';
import { createUser } from '../helpers/users.ts';
import { createCollection, favouriteGenres, movie } from './fixtures.ts';

const { app, db } = await buildTestApp(t);
const user = async () => (await createUser(app, db)).token;

t.test('no collections, empty collections and movies without genres give an empty string', async (t) => {
  const token = await user();
  t.equal(await favouriteGenres(app, token), '');
  await createCollection(app, token, []);
  t.equal(await favouriteGenres(app, token), '');
  await createCollection(app, token, [movie(null), movie(''), movie(' , ,')]);
  t.equal(await favouriteGenres(app, token), '');
});

t.test('fewer than three genres give fewer than three', async (t) => {
  const token = await user();
  await createCollection(app, token, [movie('Drama'), movie('Drama,Comedy')]);
  t.equal(await favouriteGenres(app, token), 'Drama, Comedy');
});

t.test('the three most frequent genres, most frequent first, ties alphabetical', async (t) => {
  const token = await user();
  await createCollection(app, token, [
    movie('Western,Action'),
    movie('Western,Comedy'),
    movie('Western,Thriller'),
    movie('Thriller,Action'),
    movie('Animation'),
  ]);
  // Western 3; Action and Thriller tie at 2 (alphabetical); Comedy and Animation (1) are left out.
  t.equal(await favouriteGenres(app, token), 'Western, Action, Thriller');
});

t.test('a three-way tie for first is alphabetical, and only three are kept', async (t) => {
  const token = await user();
  await createCollection(app, token, [movie('Thriller,Drama'), movie('Comedy,Action')]);
  t.equal(await favouriteGenres(app, token), 'Action, Comedy, Drama');
});

t.test('a movie held by several collections counts once', async (t) => {
  const token = await user();
  const horror = movie('Horror');
  await createCollection(app, token, [horror, movie('Drama')]);
  await createCollection(app, token, [horror, movie('Drama')]);
  await createCollection(app, token, [horror, movie('Comedy')]);
  // Counting memberships would give Horror 3; counting movies gives Drama 2, Horror 1, Comedy 1.
  t.equal(await favouriteGenres(app, token), 'Drama, Comedy, Horror');
});

t.test('genres are trimmed and compared case-insensitively, each counted once per movie', async (t) => {
  const token = await user();
  await createCollection(app, token, [
    movie(' Science Fiction ,drama'),
    movie('science fiction'),
    movie('Science Fiction, Comedy'),
    movie('Comedy,COMEDY, comedy'),
    movie('Drama'),
  ]);
  // Science Fiction 3 (shown in the spelling two of those movies use), then Comedy and Drama tie at 2.
  // Without per-movie counting, the fourth movie alone would make Comedy the favourite.
  t.equal(await favouriteGenres(app, token), 'Science Fiction, Comedy, Drama');
});

t.test("other users' collections do not count", async (t) => {
  const mine = await user();
  const theirs = await user();
  await createCollection(app, mine, [movie('Documentary')]);
  await createCollection(app, theirs, [movie('Musical'), movie('Musical'), movie('Documentary')]);
  t.equal(await favouriteGenres(app, mine), 'Documentary');
  t.equal(await favouriteGenres(app, theirs), 'Musical, Documentary');
});

t.test('genres follow changes to collections', async (t) => {
  const token = await user();
  const war = movie('War');
  const uuid = await createCollection(app, token, [war, movie('Family')]);
  t.equal(await favouriteGenres(app, token), 'Family, War');
  await inject(app, { method: 'DELETE', url: `/collection/${uuid}/movies/${war.uuid}`, token });
  t.equal(await favouriteGenres(app, token), 'Family');
  await inject(app, { method: 'PUT', url: `/collection/${uuid}/`, token, payload: { movies: [war] } });
  t.equal(await favouriteGenres(app, token), 'War');
  await inject(app, { method: 'DELETE', url: `/collection/${uuid}/`, token });
  t.equal(await favouriteGenres(app, token), '');
});

t.test("new genres for a movie, sent by another user, change every holder's stored favourites", async (t) => {
  const [owner, other] = [await user(), await user()];
  const shared = movie('Horror');
  await createCollection(app, owner, [shared]);
  t.equal(await favouriteGenres(app, owner), 'Horror', 'computed, then stored');
  t.equal(await favouriteGenres(app, owner), 'Horror', 'read as stored');
  await createCollection(app, other, [{ ...shared, genres: 'Musical' }]);
  t.equal(await favouriteGenres(app, owner), 'Musical');
});
