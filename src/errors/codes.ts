import type { components } from '../../generated/api.d.ts';
import { STATUS_OF_CODE } from '../../generated/error-codes.ts';

export type ErrorCode = components['schemas']['ErrorCode'];

export const statusOf = (code: ErrorCode): number => STATUS_OF_CODE[code];

/** The spec lists a status's general code first (validation_failed before malformed_request, conflict before …). */
const CODE_OF_STATUS = new Map<number, ErrorCode>();
for (const [code, status] of Object.entries(STATUS_OF_CODE) as [ErrorCode, number][]) {
  if (!CODE_OF_STATUS.has(status)) CODE_OF_STATUS.set(status, code);
}

/** The code an HTTP-layer error of this status carries when it names none. */
export function codeOfStatus(status: number): ErrorCode {
  return CODE_OF_STATUS.get(status) ?? (status >= 500 ? 'internal_error' : 'validation_failed');
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

export function statusMessage(status: number): string {
  return STATUS_MESSAGES[status] ?? (status >= 500 ? 'internal server error' : 'bad request');
}
