import { createPublicKey, type JsonWebKey } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';

export interface JwksClientOptions {
  log?: FastifyBaseLogger | undefined;
  /** Per fetch. */
  timeoutMs?: number;
  /** Keys older than this are fetched again before use. */
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

const MAX_BODY_CHARS = 1_000_000;

interface Jwk extends JsonWebKey {
  kid?: unknown;
  use?: unknown;
  alg?: unknown;
}

function toPemKeys(body: unknown): Map<string, string> {
  const keys = new Map<string, string>();
  const list = (body as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list)) throw new Error('the JWKS document has no "keys" array');
  for (const jwk of list as Jwk[]) {
    if (typeof jwk?.kid !== 'string' || jwk.kty !== 'RSA') continue;
    if (jwk.use !== undefined && jwk.use !== 'sig') continue;
    if (jwk.alg !== undefined && jwk.alg !== 'RS256') continue;
    try {
      const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
      keys.set(jwk.kid, String(pem));
    } catch {
      // One malformed key must not take the provider's other keys down with it.
    }
  }
  return keys;
}

/** Fetches and caches an external identity provider's signing keys (RS256 only). */
export function createJwksClient(url: string, options: JwksClientOptions = {}): JwksClient {
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxAgeMs = options.maxAgeMs ?? 10 * 60_000;
  const cooldownMs = options.cooldownMs ?? 30_000;
  let keys = new Map<string, string>();
  let fetchedAt = Number.NEGATIVE_INFINITY;
  let everFetched = false;
  let inFlight: Promise<void> | undefined;

  async function fetchKeys(): Promise<void> {
    // Failed attempts count too: a provider that is down is asked again only after the cooldown.
    fetchedAt = Date.now();
    try {
      const response = await fetch(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) throw new Error(`the JWKS URL answered ${response.status}`);
      const text = await response.text();
      if (text.length > MAX_BODY_CHARS) throw new Error('the JWKS document is too large');
      keys = toPemKeys(JSON.parse(text));
      everFetched = true;
    } catch (error) {
      options.log?.warn({ err: error, jwksUrl: url }, 'could not fetch the identity provider keys');
    }
  }

  function refresh(): Promise<void> {
    inFlight ??= fetchKeys().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  return {
    async publicKey(kid) {
      const age = Date.now() - fetchedAt;
      if (age > maxAgeMs || (!keys.has(kid) && age >= cooldownMs)) await refresh();
      else if (inFlight) await inFlight;
      if (!everFetched) throw new JwksUnavailableError('identity provider keys unavailable');
      return keys.get(kid);
    },
  };
}
