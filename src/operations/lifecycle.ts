import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import closeWithGrace from 'close-with-grace';
import type { LogDestination } from '../plugins/log-destination.ts';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/index.ts';

const VERSION: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

function portProblem(error: unknown, host: string, port: number): string | undefined {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'EADDRINUSE') return `port ${port} on ${host} is already in use (PORT, HOST)`;
  if (code === 'EACCES') return `not permitted to listen on port ${port} on ${host} (PORT, HOST)`;
  if (code === 'EADDRNOTAVAIL') return `${host} is not an address of this machine (HOST)`;
  return undefined;
}

/**
 * Binds the port for a moment and releases it: a busy port is reported before the database is waited for and
 * migrated, not after. (Port 0 is any free port: nothing to check.)
 */
export async function ensurePortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error) => reject(new Error(portProblem(error, host, port) ?? String(error))));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/** What a failed listen means, in one line. */
export function listenError(error: unknown, config: Config): string {
  return (
    portProblem(error, config.host, config.port) ?? (error instanceof Error ? error.message : String(error))
  );
}

/** Where a person opens the docs: a wildcard address is reached through the loopback. */
export function docsUrl(host: string, address: string | AddressInfo | null): string {
  const port = typeof address === 'object' && address !== null ? address.port : undefined;
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${port}/docs`;
}

/** Where the database is, never with its password: host, port and database name. */
export function describeDatabase(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  return `${url.hostname}:${url.port || 5432}${url.pathname}`;
}

/** The start banner: what this process runs on, so a typo'd variable shows as the wrong line here. */
export function banner(config: Config, address: string | AddressInfo | null): string[] {
  const redis = config.redisUrl ? new URL(config.redisUrl) : undefined;
  const database = config.databaseUrl
    ? `PostgreSQL at ${describeDatabase(config.databaseUrl)}`
    : `embedded (PGlite) in ${config.dataDir}`;
  const counter = !config.requestCounter
    ? 'off (REQUEST_COUNTER=false)'
    : redis
      ? `Redis at ${redis.hostname}:${redis.port || 6379}, key ${config.redisKeyPrefix}request-count, shared by every process`
      : 'in this process only (no REDIS_URL): exact for a single process';
  const catalogue = config.movieApi.url
    ? new URL(config.movieApi.url).origin
    : 'bundled sample, in-process (no MOVIE_API_URL)';
  return [
    `Marquee ${VERSION} (${config.env}) on ${docsUrl(config.host, address).replace(/\/docs$/, '')}`,
    `database: ${database}`,
    `request counter: ${counter}`,
    `catalogue: ${catalogue}`,
    `API documentation: ${docsUrl(config.host, address)}`,
  ];
}

/**
 * What Node.js throws when an answer is written after its reply was sent, or to a socket that is gone: one
 * request's answer is lost, nothing else is broken, so the process logs it and goes on serving.
 */
const AFTER_REPLY_CODES = new Set([
  'ERR_HTTP_HEADERS_SENT',
  'ERR_STREAM_WRITE_AFTER_END',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_ALREADY_FINISHED',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_HTTP_SOCKET_ENCODING',
  'EPIPE',
  'ECONNRESET',
]);

export function isAfterReplyError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && AFTER_REPLY_CODES.has(code);
}

/**
 * SIGTERM/SIGINT: Fastify stops accepting connections and closes idle keep-alive ones at once
 * (forceCloseConnections: 'idle'), requests in flight finish, then the onClose hooks flush the request counter
 * and close the pools, and the process exits 0. Only requests still running after `timeoutMs` make it exit 1.
 * An uncaught error shuts down the same way and exits 1, unless it only means an answer could not be written
 * (isAfterReplyError): that is logged and the process goes on.
 */
export function handleShutdown(app: FastifyInstance, timeoutMs: number, log?: LogDestination): void {
  let failure: unknown;
  const grace = closeWithGrace(
    { delay: timeoutMs, skip: ['uncaughtException', 'unhandledRejection'] },
    async ({ signal }) => {
      if (failure !== undefined) app.log.error({ err: failure }, 'shutting down after an error');
      else app.log.info({ signal }, 'shutting down');
      await app.close();
      app.log.info('stopped');
      // The last lines (this shutdown's included) are out before the process exits.
      await log?.flush();
      if (failure !== undefined) process.exit(1);
    },
  );
  const onError = (error: unknown) => {
    if (isAfterReplyError(error)) {
      app.log.error({ err: error }, 'an answer could not be written (the reply was already sent); carrying on');
      return;
    }
    if (failure !== undefined) {
      app.log.error({ err: error }, 'second error while shutting down, exiting');
      process.exit(1);
    }
    failure = error;
    grace.close();
  };
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
}
