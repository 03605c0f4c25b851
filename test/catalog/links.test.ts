// Links never carry a host the client made up: PUBLIC_URL when set, otherwise only a Host in ALLOWED_HOSTS.
import t from 'tap';
import { inject } from '../helpers/app.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { catalogApp } from './fixtures.ts';

const database = await createTestDatabase(t);
const PAGE = '/catalog/movies?page=2';

t.test('without PUBLIC_URL, a Host outside ALLOWED_HOSTS is a 400 and the upstream is not called', async (t) => {
  const { app, token, fake } = await catalogApp(t, database, {}, { ALLOWED_HOSTS: 'marquee.example,.corp.example' });
  const hostile = [
    { host: 'evil.example' },
    { host: 'localhost' }, // ALLOWED_HOSTS replaces the defaults
    { host: 'marquee.example.evil.example' },
    { host: 'marquee.example@evil.example' },
    { host: 'evil.example/marquee.example' },
  ];
  for (const headers of hostile) {
    const res = await inject(app, { method: 'GET', url: PAGE, token, headers });
    t.equal(res.statusCode, 400, `Host: ${headers.host}`);
    t.match(res.json(), { success: false, error: 400, code: 'malformed_request' });
    t.notMatch(res.body, 'evil.example');
  }
  t.equal(fake.hits, 0, 'a refused request never reaches the upstream');

  for (const host of ['marquee.example:8443', 'MARQUEE.example', 'api.corp.example', 'corp.example:80']) {
    const res = await inject(app, { method: 'GET', url: PAGE, token, headers: { host } });
    t.equal(res.statusCode, 200, `Host: ${host}`);
    t.equal(res.json().next, `http://${host.toLowerCase()}/catalog/movies?page=3`);
  }
});

t.test('the default ALLOWED_HOSTS: localhost, 127.0.0.1, [::1] and the listening host', async (t) => {
  const { app, token } = await catalogApp(t, database);
  for (const host of ['localhost:3000', '127.0.0.1:3000', '[::1]:3000']) {
    const res = await inject(app, { method: 'GET', url: PAGE, token, headers: { host } });
    t.equal(res.statusCode, 200, `Host: ${host}`);
    t.equal(res.json().previous, `http://${host}/catalog/movies?page=1`);
  }
  const res = await inject(app, { method: 'GET', url: PAGE, token, headers: { host: 'evil.example' } });
  t.equal(res.statusCode, 400, 'Host: evil.example');
});

t.test('X-Forwarded-Host counts only with TRUST_PROXY, and is held to ALLOWED_HOSTS too', async (t) => {
  const untrusted = await catalogApp(t, database);
  const ignored = await inject(untrusted.app, {
    method: 'GET',
    url: PAGE,
    token: untrusted.token,
    headers: { host: 'localhost', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' },
  });
  t.equal(ignored.statusCode, 200);
  t.equal(ignored.json().next, 'http://localhost/catalog/movies?page=3', 'forwarded headers ignored');

  const proxied = await catalogApp(t, database, {}, { TRUST_PROXY: 'true', ALLOWED_HOSTS: 'marquee.example' });
  const forwarded = (host: string) =>
    inject(proxied.app, {
      method: 'GET',
      url: PAGE,
      token: proxied.token,
      headers: { host: 'localhost', 'x-forwarded-host': host, 'x-forwarded-proto': 'https' },
    });
  const allowed = await forwarded('marquee.example');
  t.equal(allowed.statusCode, 200);
  t.equal(allowed.json().next, 'https://marquee.example/catalog/movies?page=3');
  t.equal((await forwarded('evil.example')).statusCode, 400, 'a forwarded host outside the list is refused');
});

t.test('with PUBLIC_URL, links come from it whatever the Host', async (t) => {
  const { app, token } = await catalogApp(t, database, {}, { PUBLIC_URL: 'https://api.example.com/marquee/' });
  for (const host of ['evil.example', 'localhost']) {
    const res = await inject(app, { method: 'GET', url: PAGE, token, headers: { host } });
    t.equal(res.statusCode, 200, `Host: ${host}`);
    t.same(
      [res.json().next, res.json().previous],
      ['https://api.example.com/marquee/catalog/movies?page=3', 'https://api.example.com/marquee/catalog/movies?page=1'],
    );
  }
});
