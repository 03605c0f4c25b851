import type { components } from '../../generated/api.d.ts';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface ErrorDetail {
  field: string;
  message: string;
}

const STATUS_MESSAGES: Record<number, string> = {
  400: 'bad request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'resource not found',
  405: 'method not allowed',
  408: 'request timeout',
  409: 'conflict',
  412: 'precondition failed',
  413: 'payload too large',
  415: 'unsupported media type',
  422: 'unprocessable',
  429: 'too many requests',
  431: 'request header fields too large',
  500: 'internal server error',
  501: 'not implemented',
  502: 'bad gateway',
  503: 'service unavailable',
};

export const statusMessage = (status: number): string =>
  STATUS_MESSAGES[status] ?? (status >= 500 ? 'internal server error' : 'bad request');

export type ErrorCode = components['schemas']['ErrorCode'];

/** One status per code, so a client may switch on either; a code the spec adds fails to compile until it has one. */
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
  precondition_failed: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  movie_needs_actor: 422,
  unknown_reference: 422,
  idempotency_key_reused: 422,
  rate_limited: 429,
  internal_error: 500,
  not_implemented: 501,
  bad_gateway: 502,
  dependency_unavailable: 503,
  timed_out: 503,
} as const satisfies Record<ErrorCode, number>;

const CODE_OF_STATUS: Record<number, ErrorCode> = {
  400: 'validation_failed',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  501: 'not_implemented',
  502: 'bad_gateway',
  503: 'dependency_unavailable',
};

/** The code an HTTP-layer error of this status carries when it names none. */
export function codeOfStatus(status: number): ErrorCode {
  return CODE_OF_STATUS[status] ?? (status >= 500 ? 'internal_error' : 'validation_failed');
}

/**
 * What services and handlers throw: a broken rule, named by its code. The error handler turns it into the
 * status the code stands for; nothing below the handlers knows about HTTP.
 */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetail[] | undefined;
  /** For a dependency that is down: when trying again may help. */
  readonly retryAfterSeconds: number | undefined;
  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: ErrorDetail[] | undefined; retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.code = code;
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** An error of the HTTP layer itself (content type, method, rate limit), with its status and headers. */
export class AppError extends Error {
  readonly statusCode: number;
  readonly code: ErrorCode;
  readonly details: ErrorDetail[] | undefined;
  readonly headers: Record<string, string>;
  constructor(
    statusCode: number,
    message = statusMessage(statusCode),
    options: { details?: ErrorDetail[]; headers?: Record<string, string>; code?: ErrorCode } = {},
  ) {
    super(message);
    this.statusCode = statusCode;
    this.code = options.code ?? codeOfStatus(statusCode);
    this.details = options.details;
    this.headers = options.headers ?? {};
  }
}

export const badRequest = (message: string, details?: ErrorDetail[]) =>
  new DomainError('validation_failed', message, { details });
export const notFound = (message = 'resource not found') => new DomainError('not_found', message);
export const conflict = (message: string, details?: ErrorDetail[]) =>
  new DomainError('conflict', message, { details });
export const unauthorized = (message = 'authentication required') => new DomainError('unauthorized', message);
export const forbidden = (message = 'permission denied') => new DomainError('forbidden', message);

export interface ErrorBody {
  success: false;
  error: number;
  code: ErrorCode;
  message: string;
  details?: ErrorDetail[];
}

export function errorBody(
  status: number,
  message: string,
  details?: ErrorDetail[],
  code: ErrorCode = codeOfStatus(status),
): ErrorBody {
  return details && details.length > 0
    ? { success: false, error: status, code, message, details }
    : { success: false, error: status, code, message };
}

interface AjvIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

function fieldOf(issue: AjvIssue, part: string | undefined): string {
  const path = issue.instancePath
    .split('/')
    .filter(Boolean)
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (issue.keyword === 'required' && typeof issue.params.missingProperty === 'string') {
    path.push(issue.params.missingProperty);
  }
  if (issue.keyword === 'additionalProperties' && typeof issue.params.additionalProperty === 'string') {
    path.push(issue.params.additionalProperty);
  }
  if (path.length > 0) return path.join('.');
  return part === 'body' || part === undefined ? 'body' : part;
}

function messageOf(issue: AjvIssue): string {
  if (issue.keyword === 'additionalProperties') return 'is not allowed';
  if (issue.keyword === 'required') return 'is required';
  if (issue.keyword === 'pattern' && issue.params.pattern === '\\S') return 'must not be blank';
  if (issue.keyword === 'format' && String(issue.params.format).endsWith('-date')) {
    return 'is not a valid date';
  }
  return issue.message ?? 'is invalid';
}

export function validationDetails(issues: AjvIssue[], part: string | undefined): ErrorDetail[] {
  const seen = new Set<string>();
  const details: ErrorDetail[] = [];
  for (const issue of issues) {
    // anyOf/oneOf report every branch; the leaf issues already say what is wrong.
    if (issue.keyword === 'anyOf' || issue.keyword === 'oneOf' || issue.keyword === 'allOf') continue;
    const detail = { field: fieldOf(issue, part), message: messageOf(issue) };
    const key = `${detail.field}\u0000${detail.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      details.push(detail);
    }
  }
  return details;
}

function send(
  reply: FastifyReply,
  status: number,
  message: string,
  details?: ErrorDetail[],
  code: ErrorCode = codeOfStatus(status),
) {
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .send(errorBody(status, message, details, code));
}

type GlueSecurityError = FastifyError & { errors?: unknown[] };

/** Seconds a client is told to wait when the database cannot be reached. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

// Socket failures to the database server, and pg's own words for a lost or unobtainable connection.
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);
const UNREACHABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Connection terminated unexpectedly',
];

/**
 * Whether an error means the database is unreachable rather than the request being wrong: refused or lost
 * connections, a pool that cannot get one, and PostgreSQL's shutdown (57P01-57P03) and connection (08xxx) classes.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  const { code, message, errors } = error as { code?: unknown; message?: unknown; errors?: unknown };
  if (typeof code === 'string' && (UNREACHABLE_CODES.has(code) || /^(08...|57P0[123])$/.test(code))) return true;
  if (typeof message === 'string' && UNREACHABLE_MESSAGES.some((words) => message.startsWith(words))) return true;
  // Node reports a refused connection to every address of a host as one AggregateError.
  return Array.isArray(errors) && errors.some(isDatabaseUnavailable);
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((rawError: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    let error: unknown = rawError;
    // fastify-openapi-glue wraps what the security handler threw; the last one is the meaningful one.
    const wrapped = (rawError as GlueSecurityError).errors;
    if (rawError.name === 'Unauthorized' && Array.isArray(wrapped) && wrapped.length > 0) {
      error = wrapped[wrapped.length - 1];
    }

    if (error instanceof DomainError) {
      const status = STATUS_OF_CODE[error.code];
      if (error.code === 'unauthorized') reply.header('www-authenticate', 'Bearer');
      if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
      if (status >= 500) request.log.warn({ err: error }, error.message);
      return send(reply, status, error.message, error.details, error.code);
    }

    if (error instanceof AppError) {
      reply.headers(error.headers);
      if (error.statusCode >= 500) request.log.error({ err: error }, error.message);
      return send(reply, error.statusCode, error.message, error.details, error.code);
    }

    const fastifyError = error as FastifyError;
    if (fastifyError.validation) {
      const details = validationDetails(
        fastifyError.validation as AjvIssue[],
        fastifyError.validationContext,
      );
      const where = fastifyError.validationContext ?? 'request';
      return send(reply, 400, `invalid ${where === 'querystring' ? 'query string' : where}`, details);
    }

    // HANDLER_TIMEOUT_MS ran out: the service is slow, not broken, and the client may retry.
    if (fastifyError.code === 'FST_ERR_HANDLER_TIMEOUT') {
      request.log.warn({ err: error }, 'request timed out');
      return send(reply, 503, 'request timed out', undefined, 'timed_out');
    }

    const status = fastifyError.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // @fastify/rate-limit sets retry-after itself; its message is safe to show.
      if (status === 429) return send(reply, 429, 'too many requests, retry later');
      const malformed =
        fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
        fastifyError.code === 'FST_ERR_CTP_EMPTY_JSON_BODY';
      if (malformed) return send(reply, 400, 'malformed JSON body', undefined, 'malformed_request');
      // Any other 400 Fastify raises itself is about the request's framing, not its content.
      const code = status === 400 ? 'malformed_request' : codeOfStatus(status);
      return send(reply, status, statusMessage(status), undefined, code);
    }

    if (isDatabaseUnavailable(error)) {
      request.log.warn({ reason: (error as Error).message }, 'database unavailable');
      reply.header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
      return send(reply, 503, 'database unavailable, retry later');
    }

    request.log.error({ err: error }, 'unhandled error');
    return send(reply, 500, statusMessage(500));
  });
}

export { send as sendError };
