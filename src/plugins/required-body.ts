import type { FastifyInstance, onRequestHookHandler, preValidationHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { badRequest } from '../errors/index.ts';
import { type OpenApiDocument, operationsRequiringBody } from '../spec/index.ts';

/**
 * The spec's `requestBody.required`, for every operation. Fastify validates a body against the schema of its
 * content type, so a request with no body (no Content-Type, or Content-Length: 0) skipped validation and reached
 * the handler without one. Checked after the security handlers, which fastify-openapi-glue's routes run first.
 */
async function requiredBody(app: FastifyInstance, options: { document: OpenApiDocument }) {
  const required = operationsRequiringBody(options.document);
  const check: preValidationHookHandler = (request, _reply, done) => {
    if (request.body === undefined) done(badRequest('request body required', [{ field: 'body', message: 'is required' }]));
    else done();
  };
  app.addHook('onRoute', (route) => {
    const operationId = (route.schema as { operationId?: unknown } | undefined)?.operationId;
    if (typeof operationId !== 'string' || !required.has(operationId)) return;
    const existing = route.preValidation as onRequestHookHandler | onRequestHookHandler[] | undefined;
    route.preValidation = [...(existing === undefined ? [] : [existing].flat()), check] as never;
  });
}

export default fp(requiredBody, { name: 'marquee-required-body', fastify: '5.x' });
