import formbody from '@fastify/formbody';
import { errorCodes, type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors/index.ts';

/** Whether the request carries no body at all, whatever its Content-Type says. */
const hasNoBody = (headers: Record<string, string | string[] | undefined>) =>
  headers['transfer-encoding'] === undefined &&
  (headers['content-length'] === undefined || headers['content-length'] === '0');

/** Which bodies the API reads: JSON, and forms where an operation lists them; anything else is a 415. */
async function contentType(app: FastifyInstance) {
  // text/plain, text/html and YAML are media types of responses only; as request bodies they get a 415, and
  // having a parser for them is what fastify-openapi-glue checks (it warns about every media type in the spec).
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser(['text/plain', 'text/html', 'application/yaml'], (request, _body, done) => {
    done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(request.headers['content-type']), undefined);
  });
  await app.register(formbody);

  // Many clients send `Content-Type: application/json` on every request, a bodiless DELETE too.
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.method === 'DELETE' && hasNoBody(request.headers)) delete request.headers['content-type'];
    done();
  });

  // Fastify skips body validation for a content type the route's schema does not list: refuse it instead.
  app.addHook('preValidation', (request, _reply, done) => {
    const type = request.headers['content-type'];
    const declared = (request.routeOptions.schema?.body as { content?: Record<string, unknown> } | undefined)
      ?.content;
    if (type === undefined || declared === undefined) return done();
    const mediaType = type.split(';', 1)[0]?.trim().toLowerCase() ?? '';
    if (mediaType in declared) return done();
    done(
      new AppError('unsupported_media_type', `content type ${mediaType} is not accepted here; send ${Object.keys(declared).join(' or ')}`),
    );
  });
}

export default fp(contentType, { name: 'marquee-content-type', fastify: '5.x' });
