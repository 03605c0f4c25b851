// Auth0-style RS256 tokens, verified with keys from a JWKS server this test runs.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { createJwksClient } from '../../src/auth/jwks.ts';
import { buildTestApp, inject, TEST_JWT_SECRET, tokenFor } from '../helpers/app.ts';
import { jwt, now } from './fixtures.ts';

const ISSUER = 'https://marquee-test.eu.auth0.com/';
const AUDIENCE = 'casting-agency';

const keyPair = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
const published = keyPair();
const rotated = keyPair();
const unpublished = keyPair();

function jwk(publicKey: KeyObject, kid: string) {
  return { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
}

let served: object = { keys: [jwk(published.publicKey, 'key-1')] };
let hits = 0;
const jwks = createServer((request, response) => {
  hits += 1;
  if (request.url !== '/.well-known/jwks.json') return response.writeHead(404).end();
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(served));
});
await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
t.teardown(() => new Promise<void>((resolve) => jwks.close(() => resolve())));
const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;

const { app } = await buildTestApp(t, {
  JWT_JWKS_URL: jwksUrl,
  JWT_ISSUER: ISSUER,
  JWT_AUDIENCE: AUDIENCE,
});

const claims = (extra: Record<string, unknown> = {}) => ({
  iss: ISSUER,
  sub: 'auth0|5f1c2d3e4b5a6c7d8e9f0a1b',
  aud: [AUDIENCE, `${ISSUER}userinfo`],
  iat: now(),
  exp: now() + 600,
  azp: 'client-id',
  scope: 'openid profile email',
  permissions: ['manage:users', 'get:actors'],
  ...extra,
});
const rs256 = (payload: Record<string, unknown>, key = published.privateKey, kid = 'key-1') =>
  jwt({ alg: 'RS256', typ: 'JWT', kid }, payload, key);
const listUsers = (token: string) => inject(app, { method: 'GET', url: '/api/v1/users', token });

t.test('a valid token of the provider grants the permissions it carries', async (t) => {
  const res = await listUsers(rs256(claims()));
  t.equal(res.statusCode, 200);
  t.match(res.json(), { success: true, users: [] });

  const missing = await inject(app, {
    method: 'POST',
    url: '/movies',
    token: rs256(claims()),
    payload: {},
  });
  t.equal(missing.statusCode, 403, 'post:movies is not among its permissions');
  t.match(missing.json().message, /post:movies/);

  const single = await listUsers(rs256(claims({ aud: AUDIENCE })));
  t.equal(single.statusCode, 200, 'a single audience string works too');
});

t.test("Marquee's own tokens keep working beside the provider's", async (t) => {
  t.equal((await listUsers(await tokenFor(app, 'admin'))).statusCode, 200);
});

t.test('keys are fetched once and cached', async (t) => {
  for (let i = 0; i < 5; i++) t.equal((await listUsers(rs256(claims({ jti: String(i) })))).statusCode, 200);
  t.equal(hits, 1, 'one fetch so far');
});

t.test('every kind of bad token is a 401', async (t) => {
  const cases: Record<string, string> = {
    'wrong issuer': rs256(claims({ iss: 'https://evil.example.com/' })),
    'wrong audience': rs256(claims({ aud: 'another-api' })),
    'unknown kid': rs256(claims(), unpublished.privateKey, 'key-unknown'),
    'signed with another key under a known kid': rs256(claims(), unpublished.privateKey),
    'no kid': jwt({ alg: 'RS256', typ: 'JWT' }, claims(), published.privateKey),
    'alg none': jwt({ alg: 'none', typ: 'JWT', kid: 'key-1' }, claims()),
    'HS256 signed with another secret': jwt(
      { alg: 'HS256', typ: 'JWT', kid: 'key-1' },
      claims(),
      'some-other-secret-long-enough-for-hs256-000000',
    ),
    'HS256 signed with the public key as secret': jwt(
      { alg: 'HS256', typ: 'JWT', kid: 'key-1' },
      claims(),
      String(published.publicKey.export({ type: 'spki', format: 'pem' })),
    ),
    'HS256 with the provider claims and our own secret': jwt(
      { alg: 'HS256', typ: 'JWT' },
      claims(),
      TEST_JWT_SECRET,
    ),
    tampered: (() => {
      const [header, , signature] = rs256(claims()).split('.');
      const payload = Buffer.from(
        JSON.stringify(claims({ permissions: ['manage:users', 'del:movies'] })),
      ).toString('base64url');
      return `${header}.${payload}.${signature}`;
    })(),
    expired: rs256(claims({ iat: now() - 7200, exp: now() - 3600 })),
    'no expiry': rs256(claims({ exp: undefined })),
    'no permissions claim': rs256(claims({ permissions: undefined })),
    'permissions not a list of strings': rs256(claims({ permissions: 'manage:users' })),
  };
  for (const [name, token] of Object.entries(cases)) {
    const res = await listUsers(token);
    t.equal(res.statusCode, 401, name);
    t.equal(res.headers['www-authenticate'], 'Bearer', name);
  }
});

t.test('unknown kids cannot make the server hammer the provider', async (t) => {
  const before = hits;
  for (let i = 0; i < 10; i++) await listUsers(rs256(claims(), unpublished.privateKey, `forged-${i}`));
  t.ok(hits - before <= 1, `JWKS fetched ${hits - before} times for 10 forged kids`);
});

t.test('provider users have no account here: operations without a permission are a 401', async (t) => {
  const res = await inject(app, { method: 'GET', url: '/api/v1/user', token: rs256(claims()) });
  t.equal(res.statusCode, 401);
  t.match(res.json().message, /Marquee account/);
});

t.test('a provider whose keys cannot be fetched is a 503, not a 401', async (t) => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const down = await buildTestApp(t, {
    JWT_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
  });
  const res = await inject(down.app, { method: 'GET', url: '/api/v1/users', token: rs256(claims()) });
  t.equal(res.statusCode, 503);
  t.ok(Number(res.headers['retry-after']) > 0);
  t.match(res.json(), { success: false, error: 503 });
});

t.test('the key client picks up rotated keys and keeps old ones when the provider fails', async (t) => {
  const client = createJwksClient(jwksUrl, { cooldownMs: 0 });
  t.type(await client.publicKey('key-1'), 'string');
  t.equal(await client.publicKey('key-2'), undefined);
  served = { keys: [jwk(published.publicKey, 'key-1'), jwk(rotated.publicKey, 'key-2')] };
  t.type(await client.publicKey('key-2'), 'string', 'a new kid triggers a refetch');
  served = { nonsense: true };
  t.type(await client.publicKey('key-2'), 'string', 'a broken answer keeps the last good keys');
});
