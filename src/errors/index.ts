export {
  AppError,
  type AppErrorOptions,
  badRequest,
  conflict,
  type ErrorDetail,
  forbidden,
  notFound,
  retryAfter,
  unauthorized,
} from './app-error.ts';
export { codeOfStatus, type ErrorCode, statusMessage, statusOf } from './codes.ts';
export { installErrorHandler } from './handler.ts';
export { type ErrorBody, errorBody, sendError } from './shape.ts';
export {
  acquiring,
  DATABASE_RETRY_AFTER_SECONDS,
  DatabaseUnavailableError,
  isDatabaseUnavailable,
  isRefusedByConfiguration,
  markConnectionLost,
} from './unavailable.ts';
export { type AjvIssue, validationDetails } from './validation-details.ts';
