// The catalogue works on the first start: with MOVIE_API_URL unset in development the bundled sample catalogue
// answers in-process. Production keeps the real upstream.
import t from 'tap';
import { loadConfig } from '../../src/config/index.ts';
import { serverToken, startServer } from '../helpers/server-process.ts';

t.test('npm start with the defaults in development: GET /catalog/movies is 200 from the sample', async (t) => {
  const server = await startServer(t, { NODE_ENV: 'development' });
  await server.waitForLog((line) => line.msg === 'catalogue: bundled sample, in-process (no MOVIE_API_URL)');
  const token = await serverToken([server.url], 'member');
  const response = await fetch(`${server.url}/catalog/movies`, { headers: { authorization: `Bearer ${token}` } });
  t.equal(response.status, 200);
  const page = (await response.json()) as { count: number; data: { title: string; uuid: string }[] };
  t.equal(page.count, 300, 'the sample holds 300 movies');
  t.equal(page.data.length, 10, 'ten a page');
  t.match(page.data[0], { title: String, uuid: /^[0-9a-f-]{36}$/ });
  const next = await fetch(`${server.url}/catalog/movies?page=30`, { headers: { authorization: `Bearer ${token}` } });
  t.equal(next.status, 200, 'the last page too');
});

t.test('the sample is the default outside production only', async (t) => {
  const secret = { JWT_SECRET: 'a-test-secret-that-is-at-least-32-characters', DATA_DIR: 'memory://' };
  t.equal(loadConfig({ ...secret, NODE_ENV: 'development' }).config.movieApi.url, undefined);
  t.equal(loadConfig({ ...secret, NODE_ENV: 'test' }).config.movieApi.url, undefined);
  t.equal(
    loadConfig({ ...secret, NODE_ENV: 'production' }).config.movieApi.url,
    'https://demo.credy.in/api/v1/maya/movies/',
    'production keeps the real catalogue',
  );
  t.equal(
    loadConfig({ ...secret, NODE_ENV: 'development', MOVIE_API_URL: 'http://127.0.0.1:4010/m/' }).config.movieApi.url,
    'http://127.0.0.1:4010/m/',
  );
});
