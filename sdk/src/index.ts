import createFetchClient from 'openapi-fetch';
import type { Client } from 'openapi-fetch';
import type { components, paths } from './api.ts';
import { unwrap } from './errors.ts';
import {
  type AuthOptions,
  type Fetch,
  type RetryOptions,
  Session,
  sessionMiddleware,
  type TokenPair,
} from './middleware.ts';
import { type PagedPath, type PageItem, type PaginateOptions, paginate } from './paginate.ts';

export type { components, operations, paths } from './api.ts';
export {
  type ApiError,
  etagOf,
  MarqueeError,
  PreconditionFailedError,
  type Revalidated,
  revalidate,
  unwrap,
} from './errors.ts';
export type { AuthOptions, Fetch, RetryOptions, TokenPair } from './middleware.ts';
export type { PagedPath, PageItem, PaginateOptions } from './paginate.ts';

export interface MarqueeClientOptions {
  /** Where the API is, e.g. `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** The fetch to send requests with (default: the global one). */
  fetch?: Fetch;
  auth?: AuthOptions;
  retry?: RetryOptions;
}

export interface MarqueeClient extends Client<paths> {
  /** The tokens the client sends and refreshes. */
  readonly tokens: { access: string | undefined; refresh: string | undefined };
  /** Logs in through /api/auth/token/ and keeps the pair for later requests. */
  login(username: string, password: string): Promise<TokenPair>;
  /** Every item of a paged list, fetching pages as the loop needs them. */
  paginate<P extends PagedPath>(path: P, options?: PaginateOptions<P>): AsyncGenerator<PageItem<P>, void, undefined>;
}

/** A typed client for the Marquee API: every path, body and response is checked against the contract. */
export function createClient(options: MarqueeClientOptions): MarqueeClient {
  const fetch: Fetch = options.fetch ?? ((request) => globalThis.fetch(request));
  const session = new Session(options.baseUrl, fetch, options.auth);
  const client = createFetchClient<paths>({ baseUrl: options.baseUrl, fetch });
  client.use(sessionMiddleware(session, fetch, options.retry));
  Object.defineProperty(client, 'tokens', {
    get: () => ({ access: session.access, refresh: session.refresh }),
    enumerable: true,
  });
  return Object.assign(client as Client<paths> & Pick<MarqueeClient, 'tokens'>, {
    async login(username: string, password: string): Promise<TokenPair> {
      const pair: components['schemas']['TokenPair'] = await unwrap(
        client.POST('/api/auth/token/', { body: { username, password } }),
      );
      session.store(pair);
      return pair;
    },
    paginate<P extends PagedPath>(path: P, paging?: PaginateOptions<P>) {
      return paginate(client, path, paging);
    },
  });
}
