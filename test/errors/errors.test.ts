import t from 'tap';
import { buildTestApp, inject, tokenFor } from '../helpers/app.ts';

const { app } = await buildTestApp(t, { BODY_LIMIT: '2048' });
const producer = await tokenFor(app, 'executive_producer');
/** POST /actors as the producer, with this content type and raw body. */
const postActor = (contentType: string, payload: string) =>
  inject(app, { method: 'POST', url: '/actors', token: producer, headers: { 'content-type': contentType }, payload });

t.test('malformed JSON is a 400 in the error shape', async (t) => {
  const res = await postActor('application/json', '{"name": "Mangus", ');
  t.equal(res.statusCode, 400);
  t.same(res.json(), { success: false, error: 400, code: 'malformed_request', message: 'malformed JSON body' });
});

t.test('an unsupported content type is a 415', async (t) => {
  for (const type of ['text/plain', 'application/xml']) {
    const res = await postActor(type, 'name=Mangus');
    t.equal(res.statusCode, 415, type);
    t.match(res.json(), { success: false, error: 415 });
  }
});

t.test('a form body where the spec takes only JSON is a 415', async (t) => {
  const res = await postActor('application/x-www-form-urlencoded', 'name=Mangus&age=38&gender=M');
  t.equal(res.statusCode, 415);
});

t.test('an oversized body is a 413', async (t) => {
  const res = await inject(app, {
    method: 'POST',
    url: '/actors',
    token: producer,
    payload: { name: 'x'.repeat(4096), age: 30, gender: 'M' },
  });
  t.equal(res.statusCode, 413);
  t.match(res.json(), { success: false, error: 413 });
});

t.test('schema violations name the offending fields', async (t) => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['missing field', { age: 38, gender: 'M' }, 'name'],
    ['wrong type', { name: 'Mangus', age: 'old', gender: 'M' }, 'age'],
    ['out of range', { name: 'Mangus', age: -1, gender: 'M' }, 'age'],
    ['bad enum', { name: 'Mangus', age: 38, gender: 'Q' }, 'gender'],
    ['extra field', { name: 'Mangus', age: 38, gender: 'M', salary: 1 }, 'salary'],
  ];
  for (const [what, payload, field] of cases) {
    const res = await inject(app, { method: 'POST', url: '/actors', token: producer, payload });
    t.equal(res.statusCode, 400, what);
    const body = res.json();
    t.equal(body.success, false);
    t.ok(
      body.details.some((d: { field: string }) => d.field === field),
      `${what}: details name ${field} (${JSON.stringify(body.details)})`,
    );
  }
});

t.test('query and path parameters are validated too', async (t) => {
  const bad = await inject(app, { method: 'GET', url: '/actors?limit=0', token: producer });
  t.equal(bad.statusCode, 400);
  t.match(bad.json().details, [{ field: 'limit' }]);
  const id = await inject(app, { method: 'GET', url: '/actors/abc', token: producer });
  t.equal(id.statusCode, 400);
  t.match(id.json().details, [{ field: 'id' }]);
});

t.test('a missing or bad token is a 401 with WWW-Authenticate, before the body is looked at', async (t) => {
  for (const authorization of [undefined, 'Bearer nonsense', 'Basic dXNlcjpwYXNz']) {
    const res = await inject(app, {
      method: 'POST',
      url: '/actors',
      headers: authorization ? { authorization } : {},
      payload: { wrong: true },
    });
    t.equal(res.statusCode, 401, String(authorization));
    t.equal(res.headers['www-authenticate'], 'Bearer');
    t.match(res.json(), { success: false, error: 401 });
  }
});

t.test('a valid token without the permission is a 403', async (t) => {
  const res = await inject(app, {
    method: 'POST',
    url: '/movies',
    token: await tokenFor(app, 'casting_director'),
    payload: { title: 'Genesis II', date_release: '20200403', actors_id: [29] },
  });
  t.equal(res.statusCode, 403);
  t.match(res.json(), { success: false, error: 403, code: 'forbidden', message: /post:movies/ });
});

t.test('the scheme word is case-insensitive', async (t) => {
  const res = await inject(app, {
    method: 'GET',
    url: '/api/v1/user',
    headers: { authorization: `bearer ${producer}` },
  });
  t.not(res.statusCode, 401);
});

t.test('an unexpected exception is a 500 that shows no internals', async (t) => {
  const other = await buildTestApp(t);
  other.app.get('/explode', async () => {
    throw new Error('connection to db-internal.example:5432 failed at /srv/src/secret.ts');
  });
  const res = await inject(other.app, { method: 'GET', url: '/explode' });
  t.equal(res.statusCode, 500);
  t.same(res.json(), { success: false, error: 500, code: 'internal_error', message: 'internal server error' });
});

t.test('/ready is 503 naming the database when it is down', async (t) => {
  const other = await buildTestApp(t);
  await other.db.destroy();
  const res = await inject(other.app, { method: 'GET', url: '/ready' });
  t.equal(res.statusCode, 503);
  t.ok(res.headers['retry-after']);
  t.match(res.json(), { success: false, error: 503, details: [{ field: 'database' }] });
});

t.test('a URL the router cannot decode is a 400 in the error shape', async (t) => {
  const res = await inject(app, { method: 'GET', url: '/api/messages/%zz' });
  t.equal(res.statusCode, 400);
  t.same(res.json(), { success: false, error: 400, code: 'malformed_request', message: 'malformed URL' });
});
