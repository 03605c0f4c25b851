import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from './app-error.ts';
import { codeOfStatus, statusMessage } from './codes.ts';
import { sendError } from './shape.ts';
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from './unavailable.ts';
import { type AjvIssue, validationDetails } from './validation-details.ts';

type GlueSecurityError = FastifyError & { errors?: unknown[] };

/** The one error handler: every error becomes the spec's error shape; a 5xx never shows internals. */
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
      if (error.code === 'unauthorized') reply.header('www-authenticate', 'Bearer');
      if (error.statusCode >= 500) request.log.warn({ err: error }, error.message);
      return sendError(reply, error.statusCode, error.message, error.details, error.code);
    }

    const fastifyError = error as FastifyError;
    if (fastifyError.validation) {
      const details = validationDetails(fastifyError.validation as AjvIssue[], fastifyError.validationContext);
      const where = fastifyError.validationContext ?? 'request';
      return sendError(reply, 400, `invalid ${where === 'querystring' ? 'query string' : where}`, details);
    }

    const status = fastifyError.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      if (status === 429) {
        // @fastify/rate-limit sets retry-after itself; its message is safe to show.
        return sendError(reply, 429, 'too many requests, retry later');
      }
      const malformed =
        fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fastifyError.code === 'FST_ERR_CTP_EMPTY_JSON_BODY';
      if (malformed) return sendError(reply, 400, 'malformed JSON body', undefined, 'malformed_request');
      // Any other 400 Fastify raises itself is about the request's framing, not its content.
      const code = status === 400 ? 'malformed_request' : codeOfStatus(status);
      return sendError(reply, status, statusMessage(status), undefined, code);
    }

    if (isDatabaseUnavailable(error)) {
      request.log.warn({ reason: (error as Error).message }, 'database unavailable');
      reply.header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
      return sendError(reply, 503, 'database unavailable, retry later', undefined, 'dependency_unavailable');
    }

    request.log.error({ err: error }, 'unhandled error');
    return sendError(reply, 500, statusMessage(500));
  });
}
