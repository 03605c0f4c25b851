import t from 'tap';
import { buildTestApp, inject } from '../helpers/app.ts';

function directives(policy: unknown): Map<string, string[]> {
  return new Map(
    String(policy)
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...values]) => [name as string, values]),
  );
}

// One database for the whole file; the CORS variants are apps over it with other settings.
const { app, database } = await buildTestApp(t);

t.test('every response carries security headers suited to a JSON API', async (t) => {
  for (const url of ['/health', '/no/such/thing', '/docs']) {
    const res = await inject(app, { method: 'GET', url });
    const csp = directives(res.headers['content-security-policy']);
    t.same(csp.get('default-src'), ["'none'"], `${url}: nothing loads unless allowed`);
    t.same(csp.get('frame-ancestors'), ["'none'"], `${url}: never framed`);
    t.same(csp.get('script-src'), ["'self'"], `${url}: no inline or third-party script`);
    t.notOk(csp.has('upgrade-insecure-requests'), `${url}: plain-HTTP deployments keep working`);
    t.equal(res.headers['x-content-type-options'], 'nosniff');
    t.equal(res.headers['x-frame-options'], 'DENY');
    t.equal(res.headers['referrer-policy'], 'no-referrer');
    t.equal(res.headers['cross-origin-resource-policy'], 'same-origin');
    t.match(res.headers['strict-transport-security'], /^max-age=\d+/);
    t.notOk(res.headers['x-powered-by']);
  }
});

t.test('the docs page needs nothing the policy forbids', async (t) => {
  const page = await inject(app, { method: 'GET', url: '/docs' });
  const scripts = [...page.body.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
  t.ok(scripts.length > 0);
  for (const [, attributes, content] of scripts) {
    t.match(attributes, /src="\/docs\//, 'scripts are files from this origin');
    t.equal(content?.trim(), '', 'no inline script');
  }
  t.notMatch(page.body, /<style|style="/, 'no inline style');
  const assets = [...page.body.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1] as string);
  t.same(assets.sort(), [
    '/docs/assets/favicon-32x32.png',
    '/docs/assets/swagger-ui-bundle.js',
    '/docs/assets/swagger-ui.css',
    '/docs/init.js',
  ]);
  for (const asset of assets) {
    const res = await app.inject({ method: 'GET', url: asset });
    t.equal(res.statusCode, 200, `${asset} is served`);
  }
});

t.test('without CORS_ORIGINS no origin gets cross-origin access', async (t) => {
  const res = await inject(app, {
    method: 'GET',
    url: '/health',
    headers: { origin: 'https://app.example' },
  });
  t.equal(res.statusCode, 200);
  t.notOk(res.headers['access-control-allow-origin']);
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/movies',
    headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
  });
  t.equal(preflight.statusCode, 204, 'an ordinary OPTIONS answer');
  t.match(preflight.headers.allow, /\bPOST\b/);
  t.notOk(preflight.headers['access-control-allow-origin']);
  t.notOk(preflight.headers['access-control-allow-methods']);
});

t.test('CORS_ORIGINS allows exactly the listed origins, with credentials', async (t) => {
  const { app } = await buildTestApp(
    t,
    { CORS_ORIGINS: 'https://app.example, https://admin.example' },
    database,
  );
  for (const origin of ['https://app.example', 'https://admin.example']) {
    const res = await inject(app, { method: 'GET', url: '/health', headers: { origin } });
    t.equal(res.headers['access-control-allow-origin'], origin);
    t.equal(res.headers['access-control-allow-credentials'], 'true');
    t.match(res.headers.vary, /Origin/);
    const exposed = String(res.headers['access-control-expose-headers']).split(', ');
    for (const header of ['X-Total-Count', 'Link', 'X-Request-Id', 'Retry-After']) {
      t.ok(exposed.includes(header), `exposes ${header}`);
    }

    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/movies',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    t.equal(preflight.statusCode, 204);
    t.equal(preflight.headers['access-control-allow-origin'], origin);
    t.match(preflight.headers['access-control-allow-methods'], /\bPOST\b/);
    t.match(preflight.headers['access-control-allow-headers'], /authorization/);
  }

  for (const origin of ['https://evil.example', 'https://app.example.evil.example', 'null']) {
    const res = await inject(app, { method: 'GET', url: '/health', headers: { origin } });
    t.notOk(res.headers['access-control-allow-origin'], `${origin} is not allowed`);
    t.notOk(res.headers['access-control-allow-credentials']);
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/movies',
      headers: { origin, 'access-control-request-method': 'DELETE' },
    });
    t.equal(preflight.statusCode, 204, `${origin}: an ordinary OPTIONS answer, without CORS headers`);
    t.match(preflight.headers.allow, /\bPOST\b/);
    t.notOk(preflight.headers['access-control-allow-origin']);
    t.notOk(preflight.headers['access-control-allow-methods']);
  }
});

t.test('CORS_ORIGINS=* opens reads to any origin but never with credentials', async (t) => {
  const { app } = await buildTestApp(t, { CORS_ORIGINS: '*' }, database);
  const res = await inject(app, {
    method: 'GET',
    url: '/health',
    headers: { origin: 'https://any.example' },
  });
  t.equal(res.headers['access-control-allow-origin'], '*');
  t.notOk(res.headers['access-control-allow-credentials']);
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/movies',
    headers: { origin: 'https://any.example', 'access-control-request-method': 'POST' },
  });
  t.equal(preflight.statusCode, 204);
  t.equal(preflight.headers['access-control-allow-origin'], '*');
  t.notOk(preflight.headers['access-control-allow-credentials']);
});
