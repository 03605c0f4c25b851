// Every string `format` openapi.yaml uses accepts only what PostgreSQL accepts: each spelling below that the
// validator takes is cast to the column type it is stored as, on this run's engine (PostgreSQL or PGlite).
import { sql } from 'kysely';
import t from 'tap';
import { createValidatorCompiler } from '../../src/plugins/validation.ts';
import { loadSpec } from '../../src/spec/index.ts';
import { createTestDatabase } from '../helpers/database.ts';

/** The type a value of each format is stored as, and the spellings a validator might take but PostgreSQL not. */
export const FORMAT_SPELLINGS: Record<string, { type: string; spellings: string[] }> = {
  uuid: {
    type: 'uuid',
    spellings: [
      '6f1c2d3e-4b5a-4c6d-8e7f-1a2b3c4d5e6f',
      '6F1C2D3E-4B5A-4C6D-8E7F-1A2B3C4D5E6F',
      'urn:uuid:6f1c2d3e-4b5a-4c6d-8e7f-1a2b3c4d5e6f',
      'URN:UUID:6f1c2d3e-4b5a-4c6d-8e7f-1a2b3c4d5e6f',
      '{6f1c2d3e-4b5a-4c6d-8e7f-1a2b3c4d5e6f}',
      '6f1c2d3e4b5a4c6d8e7f1a2b3c4d5e6f',
      '6f1c-2d3e-4b5a-4c6d-8e7f-1a2b-3c4d-5e6f',
      '6f1c2d3e-4b5a-4c6d-8e7f-1a2b3c4d5e6g',
      ' 6f1c2d3e-4b5a-4c6d-8e7f-1a2b3c4d5e6f',
      '00000000-0000-0000-0000-000000000000',
    ],
  },
  'date-time': {
    type: 'timestamptz',
    spellings: [
      '2020-03-30T12:00:00Z',
      '2020-03-30t12:00:00z',
      '0000-01-01T00:00:00Z',
      '0001-01-01T00:00:00Z',
      '9999-12-31T23:59:59.999999Z',
      '2020-12-31T23:59:60Z',
      '2020-02-30T00:00:00Z',
      '2020-03-30T12:00:00+14:00',
      '2020-03-30T12:00:00-23:59',
      '2020-03-30T12:00:00+15:59',
      '2020-03-30T12:00:00+16:00',
      '2020-03-30 12:00:00Z',
    ],
  },
  date: { type: 'date', spellings: ['2020-03-30', '0000-01-01', '0001-01-01', '2021-02-29', '2020-3-30', '20200330'] },
  // Both date formats are stored as `date`; DMY reads DD-MM-YYYY as the format means it.
  'calendar-date': {
    type: 'date',
    spellings: ['2020-03-30', '30-03-2020', '01-02-2020', '0000-01-01', '0001-01-01', '9999-12-31', '2020-02-29', '2021-02-29', '2020-3-30'],
  },
  'compact-date': {
    type: 'date',
    spellings: ['20200330', '00000101', '00010101', '99991231', '20210229', '2020033', '+20200330'],
  },
  // Stored as text: anything well-formed is storable; the spellings show that the validator stays narrower.
  email: { type: 'text', spellings: ['a@b.co', 'A@B.CO', 'a@localhost', '"a b"@x.co', 'a@[127.0.0.1]', 'ü@x.co'] },
  uri: { type: 'text', spellings: ['https://example.com/x?page=2', 'http://[::1]/', 'not a uri', 'file:///etc/passwd'] },
};

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
