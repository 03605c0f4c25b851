import { createHash, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import type { AppDeps } from '../deps.ts';
import { AppError, unauthorized } from '../errors/index.ts';
import { registry } from '../plugins/observability.ts';
import type { HandlerGroup } from '../spec/handlers.ts';

const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Marquee API</title>
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`;

/** Served as a file, not inline, so a strict Content-Security-Policy can forbid inline scripts. */
export const DOCS_INIT_SCRIPT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  persistAuthorization: true,
});
`;

async function ping(check: () => Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Compares digests, so neither the token's content nor its length leaks through timing. */
function carriesToken(authorization: string | undefined, token: string): boolean {
  const presented = /^bearer +(\S+)$/i.exec(authorization ?? '')?.[1];
  return presented !== undefined && timingSafeEqual(digest(presented), digest(token));
}

type OperationsId =
  | 'getHealth'
  | 'getReady'
  | 'getDocs'
  | 'getRoot'
  | 'getOpenApiYaml'
  | 'getOpenApiJson'
  | 'getMetrics';

export function createOperationsHandlers({ config, db, redis, spec }: AppDeps) {
  const handlers: HandlerGroup<OperationsId> = {
    async getHealth() {
      return { status: 'ok' as const };
    },
    async getReady() {
      const [database, cache] = await Promise.all([
        ping(() => sql`select 1`.execute(db), 2000),
        redis ? ping(() => redis.ping(), 2000) : Promise.resolve(undefined),
      ]);
      const down = [
        ...(database ? [] : [{ field: 'database', message: 'unreachable' }]),
        ...(cache === false ? [{ field: 'redis', message: 'unreachable' }] : []),
      ];
      if (down.length > 0) {
        throw new AppError(503, `not ready: ${down.map((d) => d.field).join(', ')} down`, {
          details: down,
          headers: { 'retry-after': '5' },
        });
      }
      return {
        status: 'ok' as const,
        checks: { database: 'ok' as const, redis: redis ? ('ok' as const) : ('disabled' as const) },
      };
    },
    async getDocs(_request, reply) {
      return reply.type('text/html; charset=utf-8').send(DOCS_PAGE);
    },
    async getRoot(_request, reply) {
      return reply.redirect('/docs', 302);
    },
    async getOpenApiYaml(_request, reply) {
      return reply.type('application/yaml; charset=utf-8').send(spec.yaml);
    },
    async getOpenApiJson(_request, reply) {
      // A pre-serialised string bypasses the response serializer, which would keep only declared properties.
      return reply.type('application/json; charset=utf-8').send(spec.json);
    },
    async getMetrics(request, reply) {
      if (
        config.metricsToken !== undefined &&
        !carriesToken(request.headers.authorization, config.metricsToken)
      ) {
        throw unauthorized('a valid metrics token is required');
      }
      return reply.type(registry.contentType).send(await registry.metrics());
    },
  };
  return handlers;
}
