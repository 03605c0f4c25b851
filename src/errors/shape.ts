import type { FastifyReply } from 'fastify';
import type { ErrorDetail } from './app-error.ts';
import { codeOfStatus, type ErrorCode } from './codes.ts';

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

export function sendError(
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
