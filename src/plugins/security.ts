import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config/index.ts';

/** Response headers a browser client on another origin may read. */
const EXPOSED_HEADERS = [
  'ETag',
  'Idempotent-Replayed',
  'Link',
  'Location',
  'Retry-After',
  'WWW-Authenticate',
  'X-Total-Count',
  'X-Request-Id',
  'X-Trace-Id',
  'X-Catalog-Stale',
  'X-Request-Count-Partial',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
];

/**
 * JSON responses need no policy beyond "load nothing"; the one HTML page, /docs, loads its script, styles and
 * the spec from this origin only (init.js is a file, not an inline script). Swagger UI draws icons as data: URIs.
 * No upgrade-insecure-requests: a plain-HTTP deployment (compose on a LAN) would break the docs' assets.
 */
const CONTENT_SECURITY_POLICY = {
  'default-src': ["'none'"],
  'base-uri': ["'none'"],
  'connect-src': ["'self'"],
  'font-src': ["'self'", 'data:'],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'img-src': ["'self'", 'data:'],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
};

/** Helmet's options, shared with the answers to malformed HTTP (src/plugins/http-errors.ts). */
export const HELMET_OPTIONS = {
  contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
  frameguard: { action: 'deny' as const },
};

async function security(app: FastifyInstance, { config }: { config: Config }) {
  await app.register(helmet, HELMET_OPTIONS);

  // No allowlist: no CORS headers and no preflight route, so cross-origin browser calls fail closed.
  if (config.corsOrigins.length === 0) return;
  const anyOrigin = config.corsOrigins.includes('*');
  const allowed = new Set(config.corsOrigins);
  await app.register(cors, {
    // A disallowed origin gets no CORS headers at all; its preflight falls through to the 405 handler.
    origin: (origin, callback) => {
      if (origin === undefined) callback(null, false);
      else if (anyOrigin) callback(null, '*');
      else callback(null, allowed.has(origin) ? origin : false);
    },
    // Browsers refuse credentials with "*" anyway; never announce them for an open API.
    credentials: !anyOrigin,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: 600,
    // Strict mode answers malformed preflights in text/plain; they get the usual JSON answers instead.
    strictPreflight: false,
  });
}

export default fp(security, { name: 'marquee-security', fastify: '5.x' });
