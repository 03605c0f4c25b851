/**
 * The benchmark's honest baseline: bare Fastify doing only what GET /actors/{id} must do, and nothing else —
 * - verify the HS256 access token with the service's checks (algorithm, issuer, audience);
 * - read the token's user's current role (the service's own query: a deleted user's token is a 401, and a role
 *   change takes effect at once) and check that role's permissions for `get:actor-details`, else a 403;
 * - run the very SQL the service runs (compiled from the service's own query), as a named prepared statement
 *   unless DB_PREPARED_STATEMENTS=false, and shape the row the same way;
 * - send the same security headers (the service's own helmet plugin);
 * - write one access-log line per request with pino, to stdout, through the service's log destination.
 * Everything else the service adds (spec routing, validation, the request counter, metrics, request ids) must
 * earn its cost against this.
 * Env: PORT, DATABASE_URL, JWT_SECRET, DB_PREPARED_STATEMENTS.
 */
import fastifyJwt from '@fastify/jwt';
import Fastify from 'fastify';
import { pino } from 'pino';
import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
} from 'kysely';
import { permissionsOf } from '../src/auth/permissions.ts';
import { findUserState } from '../src/auth/queries.ts';
import { findActorDetail } from '../src/casting/queries.ts';
import type { Config } from '../src/config/index.ts';
import { createPool } from '../src/db/index.ts';
import type { DB } from '../src/db/types.ts';
import { logDestination } from '../src/plugins/log-destination.ts';
import security from '../src/plugins/security.ts';

/** The SQL one of the service's own query functions runs, compiled without a database: the baseline cannot drift. */
async function serviceSql(run: (db: Kysely<DB>) => Promise<unknown>): Promise<string> {
  let text: string | undefined;
  const compiler = new Kysely<DB>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new PostgresIntrospector(db),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
    log: (event) => {
      text = event.query.sql;
    },
  });
  await run(compiler);
  if (text === undefined) throw new Error('the query function ran no query');
  return text;
}

const text = await serviceSql((db) => findActorDetail(db, 1));
const roleText = await serviceSql((db) => findUserState(db, 1));
const prepared = process.env.DB_PREPARED_STATEMENTS !== 'false';
const name = prepared ? 'actor-detail' : undefined;
const roleName = prepared ? 'user-role' : undefined;
// The service's pool (same type parsers, same size as DB_POOL_SIZE's default).
const pool = createPool(process.env.DATABASE_URL ?? '', 10);
const destination = logDestination();
const log = pino({ level: 'info' }, destination?.stream);
const app = Fastify({ logger: false });
await app.register(security, { config: { corsOrigins: [] } as unknown as Config });
await app.register(fastifyJwt, {
  secret: process.env.JWT_SECRET ?? '',
  verify: { allowedIss: 'marquee', allowedAud: 'marquee', algorithms: ['HS256'] },
});
app.addHook('onResponse', async (request, reply) => {
  log.info(
    {
      reqId: request.id,
      req: { method: request.method, url: request.url, remoteAddress: request.ip },
      res: { statusCode: reply.statusCode },
      responseTime: reply.elapsedTime,
    },
    'request completed',
  );
});

interface ActorRow {
  id: number;
  name: string;
  age: number;
  gender: string;
  movies: { id: number; title: string; release_date: string }[];
}

app.get<{ Params: { id: string } }>('/actors/:id', async (request, reply) => {
  let sub: unknown;
  try {
    ({ sub } = await request.jwtVerify<{ sub: unknown }>());
  } catch {
    return reply.code(401).send({ success: false, error: 401, message: 'unauthorized' });
  }
  const user = await pool.query<{ role: string }>({ name: roleName, text: roleText, values: [Number(sub)] });
  const role = user.rows[0]?.role;
  if (role === undefined) return reply.code(401).send({ success: false, error: 401, message: 'unauthorized' });
  if (!permissionsOf(role).includes('get:actor-details')) {
    return reply.code(403).send({ success: false, error: 403, message: 'forbidden' });
  }
  const { rows } = await pool.query<ActorRow>({ name, text, values: [Number(request.params.id)] });
  const row = rows[0];
  if (!row) return reply.code(404).send({ success: false, error: 404, message: 'not found' });
  return { success: true, actor: { ...row, movies_id: row.movies.map((movie) => movie.id) } };
});
app.get('/health', async () => ({ status: 'ok' }));

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
process.on('SIGTERM', () => {
  app.close().then(() => pool.end().then(() => destination?.flush().then(() => process.exit(0))));
});
