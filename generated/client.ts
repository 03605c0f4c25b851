// Generated from openapi.yaml by `npm run generate`. Do not edit.
import createClient, { type ClientOptions } from 'openapi-fetch';
import type { paths } from './api.d.ts';

export type { components, operations, paths } from './api.d.ts';

/** A typed client for the Marquee API: every path, body and response is checked against openapi.yaml. */
export function createMarqueeClient(options: ClientOptions = {}) {
  return createClient<paths>(options);
}
