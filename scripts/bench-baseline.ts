/**
 * The benchmark's baseline: bare Fastify doing what GET /actors/{id} must do — verify the HS256 access token and
 * read the actor with its movie ids — with no spec wiring, validation, counter or logging.
 * Env: PORT, DATABASE_URL, JWT_SECRET.
 */
import fastifyJwt from '@fastify/jwt';
import Fastify from 'fastify';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const app = Fastify({ logger: false });
await app.register(fastifyJwt, { secret: process.env.JWT_SECRET ?? '' });

app.get<{ Params: { id: string } }>('/actors/:id', async (request, reply) => {
  try {
    await request.jwtVerify();
  } catch {
    return reply.code(401).send({ success: false, error: 401, message: 'unauthorized' });
  }
  const { rows } = await pool.query(
    `select a.id, a.name, a.age, a.gender,
            coalesce(array_agg(ma.movie_id order by ma.movie_id) filter (where ma.movie_id is not null), '{}') as movies_id
       from actors a left join movie_actors ma on ma.actor_id = a.id
      where a.id = $1 group by a.id`,
    [Number(request.params.id)],
  );
  if (rows.length === 0) return reply.code(404).send({ success: false, error: 404, message: 'not found' });
  return { success: true, actor: rows[0] };
});

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
console.log(`listening ${JSON.stringify(app.server.address())}`);
process.on('SIGTERM', () => {
  app.close().then(() => pool.end().then(() => process.exit(0)));
});
