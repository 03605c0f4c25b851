import type { Compilable, CompiledQuery } from 'kysely';
import type { Database } from './index.ts';

/**
 * A hot query whose SQL never depends on its arguments, built and compiled by Kysely once: later runs only bind
 * new parameters: +6 % req/s on GET /actors/{id} in a same-run A/B (`npm run bench -- --ab BENCH_SCRIPT=…`,
 * docs/performance.md). The arguments must be exactly the query's parameters, in
 * order; the first compile checks that against distinct sample values, so a builder that breaks the rule (an
 * `in` list, a value written into the SQL) fails its first call rather than running with the wrong values.
 * Both engines compile to the same PostgreSQL text, and no Kysely plugin is in use (one would run only on the
 * first compile).
 */
export function compiledOnce<Args extends readonly (string | number)[], Row>(
  build: (db: Database, ...args: Args) => Compilable<Row>,
  samples: Args,
): (db: Database, ...args: Args) => Promise<Row[]> {
  let compiled: CompiledQuery<Row> | undefined;
  return async (db, ...args) => {
    if (compiled === undefined) {
      const candidate = build(db, ...samples).compile();
      const parameters = candidate.parameters;
      if (parameters.length !== samples.length || parameters.some((value, i) => value !== samples[i])) {
        throw new Error(`compiledOnce: the parameters are not the arguments in order: ${candidate.sql}`);
      }
      compiled = candidate;
    }
    const result = await db.executeQuery<Row>({ ...compiled, parameters: args });
    return result.rows;
  };
}
