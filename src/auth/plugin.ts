import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config/index.ts';
import { CLOCK_LEEWAY_MS, REQUIRED_CLAIMS } from './security.ts';

/** Signs and verifies this service's own tokens, and checks them before anything reads the body. */
async function authentication(app: FastifyInstance, { config }: { config: Config }) {
  await app.register(fastifyJwt, {
    secret: config.jwt.secret,
    sign: {
      iss: config.jwt.issuer,
      aud: config.jwt.audience,
      expiresIn: config.jwt.accessTtlSeconds,
      algorithm: 'HS256',
    },
    verify: {
      allowedIss: config.jwt.issuer,
      allowedAud: config.jwt.audience,
      algorithms: ['HS256'],
      requiredClaims: REQUIRED_CLAIMS,
      clockTolerance: CLOCK_LEEWAY_MS,
    },
  });

  // fastify-openapi-glue runs security handlers as preHandler, after body validation; moved before it, an
  // anonymous or unprivileged caller learns nothing from a 400.
  app.addHook('onRoute', (route) => {
    if (route.preHandler && !route.preValidation) {
      route.preValidation = route.preHandler;
      route.preHandler = undefined;
    }
  });
}

export default fp(authentication, { name: 'marquee-authentication', fastify: '5.x' });
