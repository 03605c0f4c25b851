// What the error modules decide without a server: a code's status comes from the spec, and "unavailable" from the
// phase a database failure happened in, not from its SQLSTATE.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { parse } from 'yaml';
import {
  acquiring,
  AppError,
  codeOfStatus,
  DatabaseUnavailableError,
  isDatabaseUnavailable,
  isRefusedByConfiguration,
  markConnectionLost,
  statusOf,
} from '../../src/errors/index.ts';

t.test("every ErrorCode's status is its x-status in openapi.yaml", async (t) => {
  const spec = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'));
  const codes: { const: string; 'x-status': number }[] = spec.components.schemas.ErrorCode.oneOf;
  t.ok(codes.length >= 20, `${codes.length} codes`);
  for (const code of codes) {
    t.equal(statusOf(code.const as never), code['x-status'], code.const);
    t.equal(new AppError(code.const as never, 'x').statusCode, code['x-status'], `AppError(${code.const})`);
  }
  t.equal(codeOfStatus(400), 'validation_failed', "a status's first code is its general one");
  t.equal(codeOfStatus(503), 'dependency_unavailable');
  t.equal(codeOfStatus(418), 'validation_failed', 'an unlisted 4xx');
  t.equal(codeOfStatus(599), 'internal_error', 'an unlisted 5xx');
});

t.test('whatever fails while a connection is opened is unavailable; a broken statement is not', async (t) => {
  const refusals = [
    Object.assign(new Error('database "x" is not currently accepting connections'), { code: '55000' }),
    Object.assign(new Error('remaining connection slots are reserved'), { code: '53300' }),
    Object.assign(new Error('database "x" does not exist'), { code: '3D000' }),
    Object.assign(new Error('password authentication failed'), { code: '28P01' }),
    Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    new Error('timeout exceeded when trying to connect'),
    new Error('a reason nobody has listed yet'),
  ];
  for (const refusal of refusals) {
    const caught = await acquiring(() => Promise.reject(refusal)).catch((error: unknown) => error);
    t.ok(caught instanceof DatabaseUnavailableError, `${refusal.message}: wrapped`);
    t.ok(isDatabaseUnavailable(caught), `${refusal.message}: unavailable`);
    t.equal((caught as Error).cause, refusal, 'the cause is kept');
    t.notOk(isDatabaseUnavailable(refusal), `${refusal.message}: not unavailable outside the opening`);
  }
  const statement = Object.assign(new Error('duplicate key'), { code: '23505', severity: 'ERROR' });
  t.notOk(isDatabaseUnavailable(statement), 'a failed statement is the request’s problem');
  t.ok(isDatabaseUnavailable({ code: '57P01', severity: 'FATAL' }), 'a FATAL error ends the session');
  const lost = new Error('Connection terminated unexpectedly');
  t.notOk(isDatabaseUnavailable(lost));
  markConnectionLost(lost);
  t.ok(isDatabaseUnavailable(lost), 'the error a connection died of');
});

t.test('start-up reports a refused role, password or database name at once', async (t) => {
  const wrap = (code: string) => new DatabaseUnavailableError(Object.assign(new Error(code), { code }));
  for (const code of ['28P01', '28000', '3D000']) t.ok(isRefusedByConfiguration(wrap(code)), code);
  for (const code of ['55000', '53300', '57P03', 'ECONNREFUSED']) t.notOk(isRefusedByConfiguration(wrap(code)), code);
});
