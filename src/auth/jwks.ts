import type { FastifyBaseLogger } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import buildGetJwks from 'get-jwks';

export interface JwksClientOptions {
  log?: FastifyBaseLogger | undefined;
  /** Per fetch. */
  timeoutMs?: number;
  /** Keys older than this are fetched again before use (an older copy still serves while the provider fails). */
  maxAgeMs?: number;
  /** An unknown `kid` fetches the set again at most this often, so forged kids cannot hammer the provider. */
  cooldownMs?: number;
}

export interface JwksClient {
  /** The PEM public key for `kid`, or undefined when the provider does not publish one. */
  publicKey(kid: string): Promise<string | undefined>;
}

/** The provider's key set could not be fetched and no earlier copy is at hand. */
export class JwksUnavailableError extends Error {}

/**
 * An external identity provider's RS256 signing keys, fetched and cached by get-jwks. get-jwks asks the provider
 * again for every kid it has not cached; the cooldown after a kid it did not find keeps forged kids from doing so.
 */
export function createJwksClient(url: string, options: JwksClientOptions = {}): JwksClient {
  const timeoutMs = options.timeoutMs ?? 5000;
  const cooldownMs = options.cooldownMs ?? 30_000;
  const { origin, pathname, search } = new URL(url);
  const getJwks = buildGetJwks({
    ttl: options.maxAgeMs ?? 10 * 60_000,
    jwksPath: `${pathname}${search}`,
    fetchOptions: { headers: { accept: 'application/json' } },
  });
  let lastMiss = Number.NEGATIVE_INFINITY;

  return {
    async publicKey(kid) {
      const key = getJwks.generateCacheKey('RS256', kid, `${origin}/`);
      const known = getJwks.cache.get(key) !== undefined || getJwks.staleCache.get(key) !== undefined;
      if (!known && Date.now() - lastMiss < cooldownMs) return undefined;
      // get-jwks's fetch has no timeout of its own: a provider that does not answer fails the request after
      // timeoutMs (the fetch itself ends with undici's own timeouts, and later requests wait on it again).
      const stop = new AbortController();
      try {
        return await Promise.race([
          getJwks.getPublicKey({ domain: origin, alg: 'RS256', kid }),
          sleep(timeoutMs, undefined, { signal: stop.signal }).then(() => {
            throw new Error(`no answer within ${timeoutMs} ms`);
          }),
        ]);
      } catch (error) {
        if ((error as { code?: unknown }).code === 'JWK_NOT_FOUND') {
          lastMiss = Date.now();
          return undefined;
        }
        options.log?.warn({ err: error, jwksUrl: url }, 'could not fetch the identity provider keys');
        throw new JwksUnavailableError('identity provider keys unavailable', { cause: error });
      } finally {
        stop.abort();
      }
    },
  };
}
