// Generated from openapi.yaml by `npm run generate`. Do not edit.
import type { components } from './api.d.ts';

/** The status each error code always comes with (ErrorCode's x-status in openapi.yaml). */
export const STATUS_OF_CODE = {
  validation_failed: 400,
  malformed_request: 400,
  invalid_cursor: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  username_taken: 409,
  email_taken: 409,
  idempotency_in_progress: 409,
  last_actor_of_movie: 409,
  request_timeout: 408,
  precondition_failed: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  headers_too_large: 431,
  movie_needs_actor: 422,
  unknown_reference: 422,
  idempotency_key_reused: 422,
  rate_limited: 429,
  internal_error: 500,
  not_implemented: 501,
  bad_gateway: 502,
  dependency_unavailable: 503,
  timed_out: 503,
} as const satisfies Record<components['schemas']['ErrorCode'], number>;
