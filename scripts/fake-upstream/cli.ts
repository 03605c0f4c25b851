/** `npm run fake-upstream -- --port 4010 --fail-rate 0.3`: the fake catalogue as a process of its own. */
import { FAKE_DEFAULTS, startFakeUpstream } from '../../src/catalog/sample/upstream.ts';
import { commandLine } from '../cli.ts';

const USAGE = `usage: npm run fake-upstream -- [options]
  --host HOST, --port PORT            where to listen (${FAKE_DEFAULTS.host}, 4010; 0 picks a free port)
  --path PATH                         the catalogue's path (${FAKE_DEFAULTS.path})
  --username NAME, --password SECRET  the basic-auth credentials it accepts (${FAKE_DEFAULTS.username}, ${FAKE_DEFAULTS.password})
  --movies N, --page-size N, --seed N how many movies, per page, and the seed of every random choice
  --list-key results|data             the name of the page's list
  --fail-rate, --hang-rate, --drop-rate, --malformed-rate, --wrong-shape-rate  probabilities from 0 to 1
  --latency-ms MS, --slow-body-ms MS  delays
  --quiet                             no line per request
Without MOVIE_API_URL, npm start serves this catalogue in-process already; this is for a flaky one.`;

const { values } = commandLine(USAGE, {
    host: { type: 'string', default: FAKE_DEFAULTS.host },
    port: { type: 'string', default: '4010' },
    path: { type: 'string', default: FAKE_DEFAULTS.path },
    username: { type: 'string', default: FAKE_DEFAULTS.username },
    password: { type: 'string', default: FAKE_DEFAULTS.password },
    movies: { type: 'string', default: String(FAKE_DEFAULTS.movies) },
    'page-size': { type: 'string', default: String(FAKE_DEFAULTS.pageSize) },
    seed: { type: 'string', default: String(FAKE_DEFAULTS.seed) },
    'list-key': { type: 'string', default: FAKE_DEFAULTS.listKey },
    'fail-rate': { type: 'string', default: '0' },
    'hang-rate': { type: 'string', default: '0' },
    'drop-rate': { type: 'string', default: '0' },
    'malformed-rate': { type: 'string', default: '0' },
    'wrong-shape-rate': { type: 'string', default: '0' },
    'latency-ms': { type: 'string', default: '0' },
    'slow-body-ms': { type: 'string', default: '0' },
    quiet: { type: 'boolean', default: false },
});
const number = (name: keyof typeof values) => {
  const value = Number(values[name]);
  if (!Number.isFinite(value) || value < 0) {
    console.error(`--${name} must be a non-negative number, got "${values[name]}"`);
    process.exit(2);
  }
  return value;
};
if (values['list-key'] !== 'results' && values['list-key'] !== 'data') {
  console.error('--list-key must be results or data');
  process.exit(2);
}
const fake = await startFakeUpstream({
  host: values.host,
  port: number('port'),
  path: values.path,
  username: values.username,
  password: values.password,
  movies: number('movies'),
  pageSize: Math.max(1, number('page-size')),
  seed: number('seed'),
  listKey: values['list-key'],
  failRate: number('fail-rate'),
  hangRate: number('hang-rate'),
  dropRate: number('drop-rate'),
  malformedRate: number('malformed-rate'),
  wrongShapeRate: number('wrong-shape-rate'),
  latencyMs: number('latency-ms'),
  slowBodyMs: number('slow-body-ms'),
  onRequest: values.quiet
    ? undefined
    : (request, hit) => console.log(`#${hit} page=${request.page ?? '-'} ${request.outcome}`),
});
console.log(`fake movie catalogue: ${fake.movies.length} movies at ${fake.url}`);
console.log(
  `point Marquee at it: MOVIE_API_URL=${fake.url} MOVIE_API_USERNAME=${values.username} ` +
    `MOVIE_API_PASSWORD=${values.password === FAKE_DEFAULTS.password ? values.password : '<your --password>'} npm start`,
);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    fake.close().then(() => process.exit(0));
  });
}
