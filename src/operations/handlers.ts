import { sql } from 'kysely';
import type { AppDeps } from '../deps.ts';
import { AppError, retryAfter } from '../errors/index.ts';
import { DOCS_PAGE } from '../plugins/docs.ts';
import { registry } from '../metrics/index.ts';
import type { HandlerGroup } from '../spec/handlers.ts';

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

type OperationsId =
  | 'getHealth'
  | 'getReady'
  | 'getDocs'
  | 'getRoot'
  | 'getOpenApiYaml'
  | 'getOpenApiJson'
  | 'getMetrics';

export function createOperationsHandlers({ db, redis, spec }: AppDeps) {
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
        const message = `not ready: ${down.map((d) => d.field).join(', ')} down`;
        throw new AppError('dependency_unavailable', message, { details: down, headers: retryAfter(5) });
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
    // Access is the spec's metricsToken scheme (metrics-access.ts).
    async getMetrics(_request, reply) {
      return reply.type(registry.contentType).send(await registry.metrics());
    },
  };
  return handlers;
}
