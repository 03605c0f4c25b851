/** The SDK's client (sdk/, the package users install) with its fetch going to app.inject, answers checked against the spec. */
import type { FastifyInstance, InjectOptions } from 'fastify';
import { createClient, type MarqueeClient } from '../../sdk/src/index.ts';
import { inject } from './app.ts';

/** Sends every request through `inject`, so each answer is also checked against openapi.yaml. */
export function injectFetch(app: FastifyInstance) {
  return async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
    const response = await inject(app, {
      method: request.method as InjectOptions['method'],
      url: `${url.pathname}${url.search}`,
      headers: Object.fromEntries(request.headers.entries()),
      ...(body ? { payload: body } : {}),
    });
    const status = response.statusCode;
    return new Response(status === 204 || status === 304 ? null : response.rawPayload, {
      status,
      headers: Object.entries(response.headers).flatMap(([k, v]) =>
        v === undefined ? [] : (Array.isArray(v) ? v : [v]).map((x) => [k, String(x)] as [string, string]),
      ),
    });
  };
}

/**
 * A client of `app` that sends `token` as its bearer token, with the SDK's refresh. Retries are off: a test sees
 * every answer the service gives, a 503 or 429 included (test/clients covers the SDK's retries).
 */
export function client(app: FastifyInstance, token?: string, refreshToken?: string): MarqueeClient {
  return createClient({
    baseUrl: 'http://marquee.test',
    fetch: injectFetch(app),
    auth: { ...(token ? { accessToken: token } : {}), ...(refreshToken ? { refreshToken } : {}) },
    retry: { attempts: 1 },
  });
}
