/**
 * A stand-in for the third-party movie catalogue, for tests and local development: a few hundred generated
 * movies in pages of 10 behind basic auth, shaped like the real one (`count`, `next`, `previous`, `results`),
 * and as flaky as it is told to be (500s, hangs, dropped connections, malformed or slow bodies, latency).
 * Every random choice comes from one seeded generator, so a run can be repeated exactly.
 *
 *   npm run fake-upstream -- --port 4010 --fail-rate 0.3
 *   MOVIE_API_URL=http://127.0.0.1:4010/api/v1/maya/movies/ MOVIE_API_USERNAME=marquee \
 *     MOVIE_API_PASSWORD=fake-upstream-secret npm start
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { type FakeMovie, generateMovies, seededRandom } from './movies.ts';

export type { FakeMovie };

/** What happens to requests; every rate is a probability per request, and together they are at most 1. */
export interface FakeUpstreamBehaviour {
  /** Answer 500. */
  failRate: number;
  /** Never answer (until the client gives up or the server closes). */
  hangRate: number;
  /** Destroy the connection without answering. */
  dropRate: number;
  /** Answer 200 with a body that is not JSON. */
  malformedRate: number;
  /** Answer 200 with JSON that is not a catalogue page. */
  wrongShapeRate: number;
  /** Wait this long before answering anything. */
  latencyMs: number;
  /** Send half of a page's body, wait this long, then the rest. */
  slowBodyMs: number;
}

export interface FakeUpstreamOptions extends Partial<FakeUpstreamBehaviour> {
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  path?: string;
  username?: string;
  password?: string;
  movies?: number;
  pageSize?: number;
  seed?: number;
  /** The real upstream names the list `results`; the seed's documentation says `data`. */
  listKey?: 'results' | 'data';
  /** Keep every request in `requests` (tests read them); a long-running sample catalogue does not. */
  record?: boolean;
  /** Called for every request once its outcome is decided. */
  onRequest?: (request: FakeRequest, hit: number) => void;
}


export type FakeOutcome =
  | 'ok'
  | 'unauthorized'
  | 'not-found'
  | 'fail'
  | 'hang'
  | 'drop'
  | 'malformed'
  | 'wrong-shape';

export interface FakeRequest {
  page: string | null;
  /** The Authorization header as received. */
  authorization: string | undefined;
  /** The W3C trace context header as received (a traced caller propagates it). */
  traceparent: string | undefined;
  outcome: FakeOutcome;
}

export interface FakeUpstream {
  /** The catalogue's URL, to use as MOVIE_API_URL. */
  url: string;
  movies: readonly FakeMovie[];
  /** Every request received, in order of arrival. */
  requests: readonly FakeRequest[];
  readonly hits: number;
  configure(behaviour: Partial<FakeUpstreamBehaviour>): void;
  close(): Promise<void>;
}

export const FAKE_DEFAULTS = {
  host: '127.0.0.1',
  port: 0,
  path: '/api/v1/maya/movies/',
  username: 'marquee',
  password: 'fake-upstream-secret',
  movies: 300,
  pageSize: 10,
  seed: 1,
  listKey: 'results',
} as const;

const CALM: FakeUpstreamBehaviour = {
  failRate: 0,
  hangRate: 0,
  dropRate: 0,
  malformedRate: 0,
  wrongShapeRate: 0,
  latencyMs: 0,
  slowBodyMs: 0,
};

function validate(behaviour: FakeUpstreamBehaviour): void {
  const { failRate, hangRate, dropRate, malformedRate, wrongShapeRate } = behaviour;
  const rates = { failRate, hangRate, dropRate, malformedRate, wrongShapeRate };
  for (const [name, rate] of Object.entries(rates)) {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`${name} must be between 0 and 1, got ${rate}`);
  }
  const total = Object.values(rates).reduce((sum, rate) => sum + rate, 0);
  if (total > 1 + 1e-9) throw new RangeError(`the failure rates add up to ${total}, more than 1`);
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

export async function startFakeUpstream(options: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const settings = { ...FAKE_DEFAULTS, ...options };
  const behaviour: FakeUpstreamBehaviour = { ...CALM };
  const configure = (changes: Partial<FakeUpstreamBehaviour>) => {
    const next = { ...behaviour };
    for (const key of Object.keys(CALM) as (keyof FakeUpstreamBehaviour)[]) {
      if (changes[key] !== undefined) next[key] = changes[key];
    }
    validate(next);
    Object.assign(behaviour, next);
  };
  configure(options);

  const movies = generateMovies(settings.movies, settings.seed);
  const random = seededRandom(settings.seed ^ 0x5eed);
  const expectedAuthorization = `Basic ${Buffer.from(`${settings.username}:${settings.password}`).toString('base64')}`;
  const lastPage = Math.max(1, Math.ceil(movies.length / settings.pageSize));
  const canonicalPath = settings.path.endsWith('/') ? settings.path : `${settings.path}/`;
  const requests: FakeRequest[] = [];
  let hits = 0;

  function fate(): FakeOutcome {
    const roll = random();
    let threshold = 0;
    const outcomes: [FakeOutcome, number][] = [
      ['fail', behaviour.failRate],
      ['hang', behaviour.hangRate],
      ['drop', behaviour.dropRate],
      ['malformed', behaviour.malformedRate],
      ['wrong-shape', behaviour.wrongShapeRate],
    ];
    for (const [outcome, rate] of outcomes) {
      threshold += rate;
      if (roll < threshold) return outcome;
    }
    return 'ok';
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake.invalid');
    const pageParam = url.searchParams.get('page');
    const record: FakeRequest = {
      page: pageParam,
      authorization: request.headers.authorization,
      traceparent: request.headers.traceparent?.toString(),
      outcome: 'ok',
    };
    hits++;
    if (settings.record !== false) requests.push(record);
    if (behaviour.latencyMs > 0) await sleep(behaviour.latencyMs);

    const path = url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`;
    const page = pageParam === null ? 1 : Number(pageParam);
    if (request.headers.authorization !== expectedAuthorization) record.outcome = 'unauthorized';
    else if (path !== canonicalPath || !Number.isInteger(page) || page < 1 || page > lastPage) {
      record.outcome = 'not-found';
    } else record.outcome = fate();
    settings.onRequest?.(record, hits);

    switch (record.outcome) {
      case 'unauthorized':
        return sendJson(
          response,
          401,
          { detail: 'Invalid username/password.' },
          {
            'www-authenticate': 'Basic realm="movies"',
          },
        );
      case 'not-found':
        return sendJson(response, 404, { detail: path === canonicalPath ? 'Invalid page.' : 'Not found.' });
      case 'fail':
        return sendJson(response, 500, { detail: 'Internal server error, please try again.' });
      case 'hang':
        return;
      case 'drop':
        request.socket.destroy();
        return;
      case 'malformed':
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{"count": 300, "next": "http://');
        return;
      case 'wrong-shape':
        return sendJson(response, 200, { message: 'upstream maintenance', movies: 'later' });
    }

    const origin = `http://${request.headers.host ?? `${settings.host}`}`;
    const link = (n: number) =>
      n === 1 ? `${origin}${canonicalPath}` : `${origin}${canonicalPath}?page=${n}`;
    const text = JSON.stringify({
      count: movies.length,
      next: page < lastPage ? link(page + 1) : null,
      previous: page > 1 ? link(page - 1) : null,
      [settings.listKey]: movies.slice((page - 1) * settings.pageSize, page * settings.pageSize),
    });
    response.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    if (behaviour.slowBodyMs > 0) {
      const half = Math.floor(text.length / 2);
      response.write(text.slice(0, half));
      await sleep(behaviour.slowBodyMs);
      if (response.destroyed) return;
      response.end(text.slice(half));
      return;
    }
    response.end(text);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });
  server.listen(settings.port, settings.host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${settings.host}:${port}${canonicalPath}`,
    movies,
    requests,
    get hits() {
      return hits;
    },
    configure,
    async close() {
      const closed = once(server, 'close');
      server.close();
      // Hanging and keep-alive connections would otherwise hold close() open.
      server.closeAllConnections();
      await closed;
    },
  };
}
