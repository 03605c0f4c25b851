import t from 'tap';
import { HTTP_METHODS, loadSpec } from '../../src/spec/index.ts';
import { buildTestApp, inject, tokenFor } from '../helpers/app.ts';

const { document } = loadSpec();
const { app } = await buildTestApp(t);
const admin = await tokenFor(app, 'admin');

/** A concrete URL for a path template: numeric ids and uuids where the spec has parameters. */
function concrete(template: string): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) =>
    name.includes('uuid') ? '00000000-0000-4000-8000-000000000000' : '1',
  );
}

const toggleSlash = (url: string) => (url.endsWith('/') ? url.slice(0, -1) : `${url}/`);

t.test('every operation in the spec is routed, with or without its trailing slash', async (t) => {
  for (const [template, item] of Object.entries(document.paths)) {
    for (const method of HTTP_METHODS.filter((m) => m in item)) {
      for (const url of [concrete(template), toggleSlash(concrete(template))]) {
        if (url === '') continue;
        const res = await inject(app, { method: method.toUpperCase() as 'GET', url, token: admin });
        t.not(res.statusCode, 405, `${method.toUpperCase()} ${url} is routed`);
        if (res.statusCode === 404) {
          // A 404 here must come from the handler (unknown id, with its own message), never from the router.
          t.not(
            res.json().message,
            'resource not found',
            `${method.toUpperCase()} ${url} reached its handler`,
          );
        }
      }
    }
  }
});

t.test('a known path with a wrong method answers 405 with Allow', async (t) => {
  for (const [template, item] of Object.entries(document.paths)) {
    const methods = HTTP_METHODS.filter((m) => m in item).map((m) => m.toUpperCase());
    const wrong = ['DELETE', 'PUT', 'PATCH', 'POST', 'GET'].find((m) => !methods.includes(m));
    if (!wrong) continue;
    const url = concrete(template);
    const res = await inject(app, { method: wrong as 'GET', url });
    t.equal(res.statusCode, 405, `${wrong} ${url}`);
    const allow = String(res.headers.allow).split(', ');
    for (const method of methods) t.ok(allow.includes(method), `Allow lists ${method} for ${url}`);
    t.match(res.json(), { success: false, error: 405 });
  }
});

t.test('an unknown path answers 404 in the error shape', async (t) => {
  const res = await inject(app, { method: 'GET', url: '/no/such/thing' });
  t.equal(res.statusCode, 404);
  t.same(res.json(), { success: false, error: 404, code: 'not_found', message: 'resource not found' });
});

t.test('OPTIONS on any known path answers 204 with Allow, HEAD listed where GET is', async (t) => {
  for (const [template, item] of Object.entries(document.paths)) {
    const url = concrete(template);
    const res = await app.inject({ method: 'OPTIONS', url });
    t.equal(res.statusCode, 204, `OPTIONS ${url}`);
    t.equal(res.body, '');
    const allow = String(res.headers.allow).split(', ');
    const methods = HTTP_METHODS.filter((m) => m in item).map((m) => m.toUpperCase());
    for (const method of [...methods, 'OPTIONS']) t.ok(allow.includes(method), `Allow lists ${method} for ${url}`);
    t.equal(allow.includes('HEAD'), methods.includes('GET'), `HEAD in Allow for ${url} exactly when GET is`);
  }
  const unknown = await inject(app, { method: 'OPTIONS', url: '/no/such/thing' });
  t.equal(unknown.statusCode, 404);
});

t.test('a DELETE with Content-Type: application/json and no body is treated as having no body', async (t) => {
  for (const [template, item] of Object.entries(document.paths)) {
    if (!('delete' in item)) continue;
    const url = concrete(template);
    const res = await inject(app, {
      method: 'DELETE',
      url,
      token: admin,
      headers: { 'content-type': 'application/json' },
    });
    // A DELETE whose body the spec requires (a password to confirm) is the one 400: its body is missing.
    const required = (item.delete as { requestBody?: { required?: boolean } }).requestBody?.required === true;
    if (required) t.match(JSON.parse(res.body), { error: 400, message: 'request body required' }, `DELETE ${url}`);
    else t.not(res.statusCode, 400, `DELETE ${url}: ${res.body}`);
    t.not(res.statusCode, 415, `DELETE ${url}`);
    const plain = await inject(app, { method: 'DELETE', url, token: admin });
    t.equal(res.statusCode, plain.statusCode, `DELETE ${url} answers as it does without the header`);
  }
});
