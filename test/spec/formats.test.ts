// Every string `format` openapi.yaml uses accepts only what PostgreSQL accepts: each spelling below that the
// validator takes is cast to the column type it is stored as, on this run's engine (PostgreSQL or PGlite).
import { sql } from 'kysely';
import t from 'tap';
import { createValidatorCompiler } from '../../src/plugins/validation.ts';
import { loadSpec } from '../../src/spec/index.ts';
import { FORMAT_SPELLINGS } from '../fuzz/format-spellings.ts';
import { createTestDatabase } from '../helpers/database.ts';

/** Every format named anywhere in the spec. */
function formatsInSpec(node: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const item of node) formatsInSpec(item, found);
  else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'format' && typeof value === 'string') found.add(value);
      else formatsInSpec(value, found);
    }
  }
  return found;
}

const { db } = await createTestDatabase(t, { migrate: false });
const compile = createValidatorCompiler();
const formats = formatsInSpec(loadSpec().document);

t.test('every format the spec uses has spellings to try', async (t) => {
  t.same([...formats].filter((format) => !(format in FORMAT_SPELLINGS)), [], 'no format left untried');
});

t.test('what the validator accepts, PostgreSQL accepts', async (t) => {
  let tried = 0;
  // One connection, so the date style set here is the one every cast reads with.
  await db.connection().execute(async (db) => {
    await sql`set datestyle = 'ISO, DMY'`.execute(db);
    for (const format of formats) {
      const { type, spellings } = FORMAT_SPELLINGS[format] ?? { type: 'text', spellings: [] };
      for (const httpPart of ['body', 'params'] as const) {
        const schema = { type: 'object', properties: { value: { type: 'string', format } } };
        const validate = compile({ schema, httpPart, method: 'POST', url: '/' }) as (data: unknown) => boolean;
        for (const spelling of spellings) {
          tried += 1;
          if (!validate({ value: spelling })) continue;
          const cast = await sql`select cast(${spelling} as ${sql.raw(type)}) as v`.execute(db).then(
            () => 'accepted',
            (error: Error) => error.message,
          );
          t.equal(cast, 'accepted', `${format} (${httpPart}) "${spelling}": the validator took it, so must ${type}`);
        }
      }
    }
  });
  t.comment(`formats: ${tried} spellings of ${formats.size} formats tried`);
});

t.test('the spellings PostgreSQL refuses are refused by the validator', async (t) => {
  const validate = compile({
    schema: { type: 'object', properties: { value: { type: 'string', format: 'uuid' } } },
    httpPart: 'params',
    method: 'GET',
    url: '/',
  }) as (data: unknown) => boolean;
  t.notOk(validate({ value: 'urn:uuid:6f1c2d3e-4b5a-4c6d-8e7f-1a2b3c4d5e6f' }), 'a urn:uuid: path parameter');
  t.ok(validate({ value: '6f1c2d3e-4b5a-4c6d-8e7f-1a2b3c4d5e6f' }), 'the canonical spelling');
});
