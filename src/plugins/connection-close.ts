import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** During a shutdown every response closes its connection, so no client sends a request on a socket about to go away. */
async function connectionClose(app: FastifyInstance) {
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
}

export default fp(connectionClose, { name: 'marquee-connection-close', fastify: '5.x' });
