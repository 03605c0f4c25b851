import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Config } from '../config/index.ts';
import { notFound, unauthorized } from '../errors/index.ts';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Compares digests, so neither the token's content nor its length leaks through timing. */
function carriesToken(authorization: string | undefined, token: string): boolean {
  const presented = /^bearer +(\S+)$/i.exec(authorization ?? '')?.[1];
  return presented !== undefined && timingSafeEqual(digest(presented), digest(token));
}

/**
 * The `metricsToken` security scheme of /metrics. With METRICS_TOKEN set, exactly that bearer token; without it,
 * open outside production (a developer's curl) and absent in production, where pool, heap and route figures would
 * otherwise be served to anyone who finds the port.
 */
export function metricsAccess(config: Config) {
  return async (request: FastifyRequest): Promise<void> => {
    if (config.metricsToken !== undefined) {
      if (!carriesToken(request.headers.authorization, config.metricsToken)) {
        throw unauthorized('a valid metrics token is required');
      }
      return;
    }
    if (config.env === 'production') throw notFound('metrics are off: set METRICS_TOKEN to serve them');
  };
}
