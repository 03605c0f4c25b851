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

export function statusMessage(status: number): string {
  return STATUS_MESSAGES[status] ?? (status >= 500 ? 'internal server error' : 'bad request');
}

/** An error the client caused or should know about; becomes the spec's error shape. */
export class AppError extends Error {
  readonly statusCode: number;
  readonly details: ErrorDetail[] | undefined;
  readonly headers: Record<string, string>;
  constructor(
    statusCode: number,
    message = statusMessage(statusCode),
    options: { details?: ErrorDetail[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.statusCode = statusCode;
    this.details = options.details;
    this.headers = options.headers ?? {};
  }
}

export const badRequest = (message: string, details?: ErrorDetail[]) =>
  new AppError(400, message, { details });
export const notFound = (message = 'resource not found') => new AppError(404, message);
export const conflict = (message: string, details?: ErrorDetail[]) => new AppError(409, message, { details });
export const unprocessable = (message: string, details?: ErrorDetail[]) =>
  new AppError(422, message, { details });
export const unauthorized = (message = 'authentication required') =>
  new AppError(401, message, { headers: { 'www-authenticate': 'Bearer' } });
export const forbidden = (message = 'permission denied') => new AppError(403, message);

export interface ErrorBody {
  success: false;
  error: number;
  message: string;
  details?: ErrorDetail[];
}

export function errorBody(status: number, message: string, details?: ErrorDetail[]): ErrorBody {
  return details && details.length > 0
    ? { success: false, error: status, message, details }
    : { success: false, error: status, message };
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

function send(reply: FastifyReply, status: number, message: string, details?: ErrorDetail[]) {
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .send(errorBody(status, message, details));
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

    if (error instanceof AppError) {
      reply.headers(error.headers);
      if (error.statusCode >= 500) request.log.error({ err: error }, error.message);
      return send(reply, error.statusCode, error.message, error.details);
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
      return send(reply, 503, 'request timed out');
    }

    const status = fastifyError.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      if (status === 429) {
        // @fastify/rate-limit sets retry-after itself; its message is safe to show.
        return send(reply, 429, 'too many requests, retry later');
      }
      const message =
        fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
        fastifyError.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
          ? 'malformed JSON body'
          : statusMessage(status);
      return send(reply, status, message);
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
