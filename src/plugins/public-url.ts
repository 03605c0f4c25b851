import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config/index.ts';
import { AppError } from '../errors/index.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * This service's absolute URL for `path`: from PUBLIC_URL when set; otherwise from the request's scheme and
     * host (X-Forwarded-* only with TRUST_PROXY), which must be one of ALLOWED_HOSTS, or the request is a 400.
     */
    publicUrl(path: string): string;
  }
}

function allows(allowed: readonly string[], hostname: string): boolean {
  return allowed.some(
    (name) =>
      name === '*' || name === hostname || (name.startsWith('.') && (hostname.endsWith(name) || `.${hostname}` === name)),
  );
}

const HOST = /^(\[[0-9a-f:.]+\]|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.?)(?::[0-9]{1,5})?$/;

/** The request's host name, lower case and without its port; undefined when it is not a host at all. */
function hostnameOf(host: string): string | undefined {
  return HOST.exec(host.toLowerCase())?.[1];
}

/**
 * A forged Host would otherwise go into the links a shared cache keeps and serves to everyone (cache poisoning);
 * like Django's ALLOWED_HOSTS, the Host is checked when the service needs its own URL.
 */
async function publicUrl(app: FastifyInstance, { config }: { config: Config }) {
  app.decorateRequest('publicUrl', function build(this: FastifyRequest, path: string): string {
    if (config.publicUrl !== undefined) return `${config.publicUrl}${path}`;
    const hostname = hostnameOf(this.host);
    if (hostname === undefined || !allows(config.allowedHosts, hostname)) {
      throw new AppError('malformed_request', 'the Host header names a host this service does not answer for');
    }
    return `${this.protocol}://${this.host.toLowerCase()}${path}`;
  });
}

export default fp(publicUrl, { name: 'marquee-public-url', fastify: '5.x' });
