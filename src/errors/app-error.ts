import { type ErrorCode, statusOf } from './codes.ts';

export interface ErrorDetail {
  field: string;
  message: string;
}

export interface AppErrorOptions {
  details?: ErrorDetail[] | undefined;
  /** Sent with the answer, such as `retry-after` for a dependency that is down. */
  headers?: Record<string, string>;
  cause?: unknown;
}

/**
 * What services, handlers and plugins throw: a broken rule or an unavailable dependency, named by its code. The
 * code fixes the status (the spec's x-status); nothing below the handlers knows about HTTP.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly details: ErrorDetail[] | undefined;
  readonly headers: Record<string, string>;
  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.statusCode = statusOf(code);
    this.details = options.details;
    this.headers = options.headers ?? {};
  }
}

export const retryAfter = (seconds: number) => ({ 'retry-after': String(seconds) });

export const badRequest = (message: string, details?: ErrorDetail[]) =>
  new AppError('validation_failed', message, { details });
export const notFound = (message = 'resource not found') => new AppError('not_found', message);
export const conflict = (message: string, details?: ErrorDetail[]) => new AppError('conflict', message, { details });
export const unauthorized = (message = 'authentication required') => new AppError('unauthorized', message);
export const forbidden = (message = 'permission denied') => new AppError('forbidden', message);
