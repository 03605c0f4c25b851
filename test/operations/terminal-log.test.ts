// In a terminal the log is pino-pretty's: one short line per request, not a dozen lines of request and response.
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import pretty from 'pino-pretty';
import t from 'tap';
import { buildApp, loggerOptions } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import { testEnv } from '../helpers/app.ts';
import { createTestDatabase } from '../helpers/database.ts';

t.test('one line per request, with method, path, status and time', async (t) => {
  const { config } = loadConfig(testEnv({ LOG_LEVEL: 'info' }));
  const wasTTY = process.stdout.isTTY;
  process.stdout.isTTY = true;
  const options = loggerOptions(config);
  process.stdout.isTTY = wasTTY;
  t.ok('transport' in options, 'a terminal gets pino-pretty');
  const prettyOptions = ('transport' in options && options.transport?.options) || {};

  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const stream = pretty({ ...prettyOptions, colorize: false, sync: true, destination });
  const { db } = await createTestDatabase(t);
  const app = await buildApp(config, { db, logger: { level: 'info', stream } });
  t.teardown(() => app.close());
  await app.ready();
  const before = lines.length;
  await app.inject({ method: 'GET', url: '/health' });
  await app.inject({ method: 'GET', url: '/actors?page=1' });
  for (let i = 0; i < 50 && lines.length < before + 2; i++) await sleep(20);
  const requests = lines.slice(before);
  t.equal(requests.length, 2, `two requests, two lines:\n${requests.join('\n')}`);
  t.match(requests[0], /INFO: request completed GET \/health → 200 in [\d.]+ ms$/);
  t.match(requests[1], /INFO: request completed GET \/actors\?page=1 → 401 in [\d.]+ ms$/);
});
