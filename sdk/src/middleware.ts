import type { Middleware } from 'openapi-fetch';

export type Fetch = (request: Request) => Promise<Response>;

export interface TokenPair {
  access: string;
  refresh: string;
}

export interface AuthOptions {
  /** Sent as `Authorization: Bearer <accessToken>` on every request. */
  accessToken?: string;
  /** With it, a 401 is answered by one refresh through /api/auth/token/refresh/ and one retry. */
  refreshToken?: string;
  /** Called with every new pair (refresh tokens rotate: store the new one). */
  onTokens?: (tokens: TokenPair) => void;
}

export interface RetryOptions {
  /**
   * Attempts in all for a request answered 503 or 429 or lost to a network error (default 3; 1 turns retries
   * off): idempotent methods, and POSTs, which carry an `Idempotency-Key` so a retry never creates twice.
   */
  attempts?: number;
  /** The longest wait between attempts; a `Retry-After` beyond it ends the retries (default 10 s). */
  maxDelayMs?: number;
}

export const REFRESH_PATH = '/api/auth/token/refresh/';
const AUTH_PREFIX = '/api/auth/';
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
const RETRIABLE = new Set([429, 503]);
const KEY_HEADER = 'idempotency-key';

/** Whether sending the request again is safe: an idempotent method, or a POST with an Idempotency-Key. */
const retriable = (request: Request) =>
  IDEMPOTENT.has(request.method) || (request.method === 'POST' && request.headers.has(KEY_HEADER));

/**
 * Every POST but the token endpoints' gets an Idempotency-Key (the caller's, if it set one), so that it may be
 * retried: the server replays the first answer instead of creating again.
 */
function withIdempotencyKey(request: Request): Request {
  if (request.method !== 'POST' || request.headers.has(KEY_HEADER)) return request;
  if (new URL(request.url).pathname.includes(AUTH_PREFIX)) return request;
  const headers = new Headers(request.headers);
  headers.set(KEY_HEADER, crypto.randomUUID());
  return new Request(request, { headers });
}

/** The tokens one client holds; a refresh in flight is shared, as a refresh token may be spent only once. */
export class Session {
  access: string | undefined;
  refresh: string | undefined;
  private inflight: Promise<boolean> | undefined;
  private readonly baseUrl: string;
  private readonly fetch: Fetch;
  private readonly onTokens: ((tokens: TokenPair) => void) | undefined;

  constructor(baseUrl: string, fetch: Fetch, auth: AuthOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.fetch = fetch;
    this.access = auth.accessToken;
    this.refresh = auth.refreshToken;
    this.onTokens = auth.onTokens;
  }

  store(tokens: TokenPair): void {
    this.access = tokens.access;
    this.refresh = tokens.refresh;
    this.onTokens?.(tokens);
  }

  renew(): Promise<boolean> {
    this.inflight ??= this.exchange().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async exchange(): Promise<boolean> {
    if (!this.refresh) return false;
    const response = await this.fetch(
      new Request(`${this.baseUrl}${REFRESH_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refresh: this.refresh }),
      }),
    );
    if (!response.ok) {
      await response.body?.cancel();
      this.refresh = undefined;
      return false;
    }
    this.store((await response.json()) as TokenPair);
    return true;
  }
}

function withToken(request: Request, token: string | undefined): Request {
  if (!token) return request;
  const headers = new Headers(request.headers);
  headers.set('authorization', `Bearer ${token}`);
  return new Request(request, { headers });
}

/** Milliseconds to wait before the next attempt, or undefined when the server asks for longer than allowed. */
function delayBefore(response: Response, attempt: number, maxDelayMs: number): number | undefined {
  const header = response.headers.get('retry-after');
  let ms = 100 * 2 ** (attempt - 1);
  if (header !== null) {
    const seconds = Number(header);
    ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
    if (Number.isNaN(ms)) ms = 0;
  }
  return ms > maxDelayMs ? undefined : Math.max(0, ms);
}

/**
 * Adds the bearer token and, to POSTs, an Idempotency-Key; on a 401 refreshes once and retries; retries
 * idempotent requests and keyed POSTs answered 503 or 429 (and a keyed POST's 409 "in progress") after the
 * `Retry-After` delay, and after a network error, a bounded number of times. Retries go straight to `fetch`.
 */
export function sessionMiddleware(session: Session, fetch: Fetch, retry: RetryOptions = {}): Middleware {
  const attempts = retry.attempts ?? 3;
  const maxDelayMs = retry.maxDelayMs ?? 10_000;
  const sent = new Map<string, { request: Request; token: string | undefined }>();
  return {
    onRequest({ request, id }) {
      const authorised = withToken(withIdempotencyKey(request), session.access);
      sent.set(id, { request: authorised.clone(), token: session.access });
      return authorised;
    },
    async onResponse({ response, id }) {
      const original = sent.get(id);
      sent.delete(id);
      if (!original) return response;
      // A 401 from the login, registration and token endpoints is about the credentials sent, not the token.
      const isTokenEndpoint = new URL(original.request.url).pathname.includes(AUTH_PREFIX);
      let current = response;
      let refreshed = false;
      for (let attempt = 1; ; ) {
        if (current.status === 401 && !refreshed && !isTokenEndpoint && (session.refresh || session.access !== original.token)) {
          refreshed = true;
          // Another request may have refreshed meanwhile: then its token is simply tried.
          if (session.access === original.token && !(await session.renew())) return current;
        } else if (
          (RETRIABLE.has(current.status) ||
            (current.status === 409 && original.request.headers.has(KEY_HEADER) && current.headers.has('retry-after'))) &&
          retriable(original.request) &&
          attempt < attempts
        ) {
          const wait = delayBefore(current, attempt, maxDelayMs);
          if (wait === undefined) return current;
          attempt += 1;
          await new Promise((resolve) => setTimeout(resolve, wait));
        } else {
          return current;
        }
        await current.body?.cancel();
        current = await fetch(withToken(original.request.clone(), session.access));
      }
    },
    /** A network error: a retriable request is sent again after a backoff, a bounded number of times. */
    async onError({ id, error }) {
      const original = sent.get(id);
      if (!original || !retriable(original.request)) {
        sent.delete(id);
        return undefined;
      }
      let last = error;
      for (let attempt = 1; attempt < attempts; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(maxDelayMs, 100 * 2 ** (attempt - 1))));
        try {
          // onResponse handles what this answer says (401, 503, …) with the request kept for it.
          return await fetch(withToken(original.request.clone(), session.access));
        } catch (retryError) {
          last = retryError;
        }
      }
      sent.delete(id);
      return last instanceof Error ? last : new Error(String(last));
    },
  };
}
