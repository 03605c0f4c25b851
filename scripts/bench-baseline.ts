/**
 * The benchmark's baseline: bare Fastify doing what GET /actors/{id} must do — verify the HS256 access token with
 * the service's checks (algorithm, issuer, audience) and run the very SQL the service runs, shaping the row the
 * same way — with no spec wiring, validation, counter, security headers or logging. Like the service, it sends the
 * query as a named prepared statement unless DB_PREPARED_STATEMENTS=false: the ratio is the cost of the machinery,
 * not of how PostgreSQL is spoken to.
 * Env: PORT, DATABASE_URL, JWT_SECRET, DB_PREPARED_STATEMENTS.
 */
import fastifyJwt from '@fastify/jwt';
import Fastify from 'fastify';
import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
} from 'kysely';
import { findActorDetail } from '../src/casting/queries.ts';
import { createPool } from '../src/db/index.ts';
import type { DB } from '../src/db/types.ts';

/** The service's own query for an actor, compiled without a database: the baseline cannot drift from it. */
async function actorDetailSql(): Promise<string> {
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
  await findActorDetail(compiler, 1);
  if (text === undefined) throw new Error('findActorDetail ran no query');
  return text;
}

const text = await actorDetailSql();
const name = process.env.DB_PREPARED_STATEMENTS === 'false' ? undefined : 'actor-detail';
// The service's pool (same type parsers, same size as DB_POOL_SIZE's default).
const pool = createPool(process.env.DATABASE_URL ?? '', 10);
const app = Fastify({ logger: false });
await app.register(fastifyJwt, {
  secret: process.env.JWT_SECRET ?? '',
  verify: { allowedIss: 'marquee', allowedAud: 'marquee', algorithms: ['HS256'] },
});

interface ActorRow {
  id: number;
  name: string;
  age: number;
  gender: string;
  movies: { id: number; title: string; release_date: string }[];
}

app.get<{ Params: { id: string } }>('/actors/:id', async (request, reply) => {
  try {
    await request.jwtVerify();
  } catch {
    return reply.code(401).send({ success: false, error: 401, message: 'unauthorized' });
  }
  const { rows } = await pool.query<ActorRow>({ name, text, values: [Number(request.params.id)] });
  const row = rows[0];
  if (!row) return reply.code(404).send({ success: false, error: 404, message: 'not found' });
  return { success: true, actor: { ...row, movies_id: row.movies.map((movie) => movie.id) } };
});

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
process.on('SIGTERM', () => {
  app.close().then(() => pool.end().then(() => process.exit(0)));
});
