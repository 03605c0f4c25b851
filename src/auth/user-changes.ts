import type { FastifyBaseLogger } from 'fastify';
import pg from 'pg';
import type { Notifications } from '../db/index.ts';

/** The channel the users table's trigger notifies (db/migrations/2026_12_07_100000_notify_user_changes.ts). */
export const USER_CHANGED_CHANNEL = 'marquee_user_changed';
/** The listening connection's application_name in pg_stat_activity, followed by the process id. */
export const LISTENER_APPLICATION_NAME = 'marquee-user-changes';
/** How often the listener proves its connection alive; a round trip is what "caught up" is measured by. */
export const HEARTBEAT_MS = 200;
const RECONNECT_MS = [100, 250, 500, 1000, 2000];

/** What a channel tells the cache (src/auth/user-states.ts). Times are performance.now(). */
export interface UserChangeListener {
  /** A user row changed (id), or anything may have changed (undefined: an unreadable payload). */
  changed(id: number | undefined): void;
  /** Listening now: changes committed from here on will be heard. */
  connected(): void;
  /** Not listening any more: changes may go unheard until connected() again. */
  disconnected(): void;
  /** Every change committed before `at` has been passed to changed(). */
  caughtUp(at: number): void;
}

export interface UserChangeChannel {
  start(listener: UserChangeListener): void;
  close(): Promise<void>;
}

/** pg lets a connection string's application_name override the option's: the listener names itself here. */
function withApplicationName(url: string, name: string): string {
  try {
    const parsed = new URL(url);
    parsed.searchParams.set('application_name', name);
    return parsed.toString();
  } catch {
    return url;
  }
}

/** Which backend answers, and whether it listens on the channel. */
async function session(client: pg.Client): Promise<{ pid: number; listening: boolean }> {
  const { rows } = await client.query<{ pid: number; listening: boolean }>(
    `select pg_backend_pid() as pid, $1 = any (array(select pg_listening_channels())) as listening`,
    [USER_CHANGED_CHANNEL],
  );
  return rows[0]!;
}

function userId(payload: string): number | undefined {
  return /^[1-9]\d{0,9}$/.test(payload) ? Number(payload) : undefined;
}

export function createUserChangeChannel(notifications: Notifications, log: FastifyBaseLogger): UserChangeChannel {
  return notifications.engine === 'postgres'
    ? new PostgresChannel(notifications.url, log)
    : new PgliteChannel(notifications.listen, log);
}

/**
 * PGlite is one session in this process: a NOTIFY reaches the listener while its commit returns, so once
 * listening, the channel is caught up at every moment.
 */
class PgliteChannel implements UserChangeChannel {
  #unlisten: Promise<(() => Promise<void>) | undefined> = Promise.resolve(undefined);
  readonly #listen: Extract<Notifications, { engine: 'pglite' }>['listen'];
  readonly #log: FastifyBaseLogger;

  constructor(listen: Extract<Notifications, { engine: 'pglite' }>['listen'], log: FastifyBaseLogger) {
    this.#listen = listen;
    this.#log = log;
  }

  start(listener: UserChangeListener): void {
    this.#unlisten = this.#listen(USER_CHANGED_CHANNEL, (payload) => listener.changed(userId(payload))).then(
      (unlisten) => {
        listener.connected();
        // Heard as each commit returns: caught up at every moment from now on.
        listener.caughtUp(Number.POSITIVE_INFINITY);
        return unlisten;
      },
      (error: unknown) => {
        this.#log.warn({ reason: (error as Error).message }, 'cannot listen for user changes; reading per request');
        return undefined;
      },
    );
  }

  async close(): Promise<void> {
    await (await this.#unlisten)?.().catch(() => {});
  }
}

/**
 * A dedicated connection that LISTENs, with a heartbeat query every HEARTBEAT_MS: PostgreSQL sends a session's
 * pending notifications before it answers its next query, so an answered heartbeat proves every change committed
 * before it was sent has been heard. The heartbeat also checks that the same backend answers and still listens:
 * through a transaction pooler it would not, and the cache is then never trusted. A failed or unanswered
 * heartbeat ends the connection; it is opened again with a growing delay.
 */
class PostgresChannel implements UserChangeChannel {
  #client: pg.Client | undefined;
  /** The backend that LISTENs: every heartbeat must find the same one, still listening. */
  #session: { pid: number; listening: boolean } | undefined;
  /** The connection being opened, before it listens. */
  #candidate: pg.Client | undefined;
  #listener: UserChangeListener | undefined;
  #closed = false;
  #heartbeat: NodeJS.Timeout | undefined;
  #reconnect: NodeJS.Timeout | undefined;
  #attempt = 0;
  #connecting: Promise<void> = Promise.resolve();
  readonly #url: string;
  readonly #log: FastifyBaseLogger;

  constructor(url: string, log: FastifyBaseLogger) {
    this.#url = url;
    this.#log = log;
  }

  start(listener: UserChangeListener): void {
    this.#listener = listener;
    this.#connecting = this.#connect();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#reconnect);
    await this.#connecting;
    this.#drop(this.#client);
  }

  async #connect(): Promise<void> {
    const listener = this.#listener!;
    const client = new pg.Client({
      connectionString: withApplicationName(this.#url, `${LISTENER_APPLICATION_NAME} ${process.pid}`),
      // A server that never answers must not hold up a shutdown waiting for this connection.
      connectionTimeoutMillis: 5000,
    });
    this.#candidate = client;
    client.on('error', () => this.#lost(client));
    client.on('end', () => this.#lost(client));
    client.on('notification', ({ channel, payload }) => {
      if (channel === USER_CHANGED_CHANNEL) listener.changed(userId(payload ?? ''));
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${USER_CHANGED_CHANNEL}`);
      this.#session = await session(client);
      if (!this.#session.listening) throw new Error('LISTEN did not hold: is DATABASE_LISTEN_URL a transaction pooler?');
    } catch (error) {
      // Once per outage, not once per attempt.
      if (this.#attempt === 0) {
        this.#log.warn({ reason: (error as Error).message }, 'cannot listen for user changes; reading per request');
      }
      this.#lost(client);
      return;
    }
    this.#candidate = undefined;
    if (this.#closed) return void client.end().catch(() => {});
    if (this.#attempt > 0) this.#log.info('listening for user changes again');
    this.#client = client;
    this.#attempt = 0;
    listener.connected();
    listener.caughtUp(performance.now());
    this.#beat(client);
  }

  #beat(client: pg.Client): void {
    this.#heartbeat = setTimeout(() => {
      const sentAt = performance.now();
      // Long unanswered, a heartbeat is a lost connection even if TCP has not noticed. Trust ends sooner, by
      // itself: the cache uses nothing while the last answered heartbeat is older than its bound.
      const deadline = setTimeout(() => this.#lost(client), 25 * HEARTBEAT_MS).unref();
      session(client).then(
        ({ pid, listening }) => {
          clearTimeout(deadline);
          if (this.#client !== client) return;
          // Another backend, or none listening: a pooler handed out another session; its notifications are not ours.
          if (pid !== this.#session?.pid || !listening) return this.#lost(client);
          this.#listener!.caughtUp(sentAt);
          this.#beat(client);
        },
        () => {
          clearTimeout(deadline);
          this.#lost(client);
        },
      );
    }, HEARTBEAT_MS).unref();
  }

  #lost(client: pg.Client): void {
    // A connection already given up (its 'error' and 'end' both arrive) changes nothing.
    if (client !== this.#client && client !== this.#candidate) return;
    this.#drop(client);
    if (client === this.#client) {
      this.#client = undefined;
      this.#listener!.disconnected();
      // Closing ends the connection on purpose: no warning after the service said it stopped.
      if (!this.#closed) {
        this.#log.warn('the user-change listener lost its connection; reading per request until it is back');
      }
    }
    this.#candidate = undefined;
    if (this.#closed) return;
    const delay = RECONNECT_MS[Math.min(this.#attempt, RECONNECT_MS.length - 1)]!;
    this.#attempt += 1;
    this.#reconnect = setTimeout(() => {
      this.#reconnect = undefined;
      this.#connecting = this.#connect();
    }, delay).unref();
  }

  #drop(client: pg.Client | undefined): void {
    if (!client) return;
    clearTimeout(this.#heartbeat);
    client.removeAllListeners('notification');
    client.on('error', () => {});
    client.end().catch(() => {});
  }
}
