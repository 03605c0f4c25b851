import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import { redisFailOpen } from '../metrics/index.ts';
import { Backlog, sum } from './backlog.ts';
import type { CountReading, RequestCounter } from './counter.ts';
import { HAND_OVER, INCREMENT, RESET } from './scripts.ts';

/** What a count settles to when Redis did not take it; `read` works out the partial figure. */
const BUFFERED: CountReading = Object.freeze({ requests: 0, partial: true });

/** Epoch changes seen in one sync before giving up until the next one (only a storm of resets gets there). */
const MAX_ROUNDS = 5;

interface Batch {
  n: number;
  /** Settles to the count once Redis has the batch. */
  reading: PromiseWithResolvers<CountReading>;
  /** Resolves once the batch is on its way to Redis. */
  sent: PromiseWithResolvers<void>;
}

export interface RedisCounterOptions {
  keyPrefix: string;
  log: FastifyBaseLogger;
  /** How often an idle process looks for resets made elsewhere, and a buffering one retries the hand-over. */
  syncIntervalMs?: number;
}

/**
 * The shared count: `${prefix}request-count`, incremented by every process, and `${prefix}request-count:epoch`.
 *
 * The increments of one turn of the event loop go out together as one INCRBY at the end of that turn, and the
 * turn's responses leave after it: a client that has its answer can rely on any later count including it. Nothing
 * waits for Redis to answer. While Redis is unreachable increments are kept here and handed over in one INCRBY
 * when it is back; if it came back empty, each process also puts back what it had counted since the last reset.
 */
export class RedisCounter implements RequestCounter {
  private readonly connection: Redis;
  private readonly countKey: string;
  private readonly epochKey: string;
  private readonly log: FastifyBaseLogger;
  private readonly timer: NodeJS.Timeout;
  private readonly backlog = new Backlog();
  /** Increments of this turn of the event loop, not sent yet; and those sent and not answered. */
  private batch: Batch | undefined;
  private inFlight = 0;
  /** The epoch this process last saw, and how many of its increments the count holds since then. */
  private epoch: string | undefined;
  private stored = 0;
  /** Increments the lost history held, waiting to be put back. */
  private toRestore = 0;
  /** The shared count as last seen: the base of a partial answer. */
  private last = 0;
  /** Whether increments go straight to Redis: false from a lost connection until the backlog is handed over. */
  private synced = false;
  private reachable = true;
  /** Until the first sync, an outage is the Redis plugin's to report, not news of a lost connection. */
  private everSynced = false;
  private closing = false;
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private readonly firstSync = Promise.withResolvers<void>();

  constructor(redis: Redis, options: RedisCounterOptions) {
    this.countKey = `${options.keyPrefix}request-count`;
    this.epochKey = `${options.keyPrefix}request-count:epoch`;
    this.log = options.log;
    // A connection of its own, set up as the bookkeeping needs: a command is written the moment it is issued (the
    // counter batches by itself, and auto-pipelining would write only in a later turn, after the responses it
    // holds back); with Redis away commands fail at once instead of queueing (no offline queue); and one in flight
    // when the connection drops is failed, never silently re-sent, so every increment is either acknowledged or
    // in the backlog, never both.
    this.connection = redis.duplicate({
      enableAutoPipelining: false,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
    });
    this.connection.on('ready', () => void this.sync());
    this.connection.on('close', () => this.disconnected());
    this.connection.on('error', (error: Error) =>
      this.log.debug({ err: error }, 'request counter: Redis connection error'),
    );
    this.timer = setInterval(() => {
      if (this.queued === 0 && this.connection.status === 'ready') void this.sync();
    }, options.syncIntervalMs ?? 1000);
    this.timer.unref();
  }

  /** Waits, a little, for Redis: requests served before the first sync are counted, just less promptly. */
  async ready(): Promise<void> {
    await Promise.race([this.firstSync.promise, sleep(2000, undefined, { ref: false })]);
  }

  count(): CountReading | Promise<CountReading> {
    if (!this.synced) {
      this.backlog.add(1);
      redisFailOpen.inc({ use: 'request_counter' });
      return BUFFERED;
    }
    if (this.batch === undefined) {
      this.batch = { n: 0, reading: Promise.withResolvers(), sent: Promise.withResolvers() };
      setImmediate(this.send);
    }
    this.batch.n += 1;
    return this.batch.reading.promise;
  }

  beforeResponse(): Promise<void> | undefined {
    return this.batch?.sent.promise;
  }

  async read(own: CountReading | Promise<CountReading>): Promise<CountReading> {
    const reading = await own;
    if (!reading.partial && this.backlog.total === 0 && this.toRestore === 0) return reading;
    return this.sync();
  }

  reset(): Promise<void> {
    return this.serially(async () => {
      // Everything counted so far, the reset request included, reaches Redis before the reset and is wiped.
      this.send();
      const at = Date.now();
      const epoch = `reset:${at}:${randomUUID()}`;
      await this.connection.eval(RESET, 2, this.countKey, this.epochKey, epoch);
      this.epoch = epoch;
      this.stored = 0;
      this.toRestore = 0;
      this.last = 0;
      this.backlog.dropBefore(at);
      this.synced = true;
      this.everSynced = true;
      this.firstSync.resolve();
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.timer);
    if (this.connection.status === 'ready') {
      this.send();
      // Hand over what is buffered before the process goes; a stuck Redis must not hold up the shutdown.
      await Promise.race([this.sync(), sleep(2000, undefined, { ref: false })]);
    }
    this.connection.disconnect();
  }

  private readonly send = (): void => {
    const batch = this.batch;
    if (batch === undefined) return;
    this.batch = undefined;
    const { n, reading } = batch;
    // Written to the socket now, before the responses waiting on `sent` are.
    const reply = this.run(INCREMENT, n);
    batch.sent.resolve();
    this.inFlight += n;
    reply.then(
      ([epoch, count]) => {
        this.inFlight -= n;
        if (epoch !== this.epoch) {
          this.adopt(epoch);
          if (this.toRestore > 0) void this.sync();
        }
        this.stored += n;
        this.last = count;
        reading.resolve({ requests: count, partial: false });
      },
      () => {
        this.inFlight -= n;
        this.backlog.add(n);
        redisFailOpen.inc({ use: 'request_counter' }, n);
        reading.resolve(BUFFERED);
      },
    );
  };

  /** Hands the backlog over and answers the count; a partial figure when Redis cannot be reached. */
  private sync(): Promise<CountReading> {
    return this.serially(() => this.syncOnce());
  }

  /** Syncs and resets one at a time: each relies on the epoch the previous one left. */
  private serially<T>(task: () => Promise<T>): Promise<T> {
    this.queued += 1;
    const run = this.tail.then(task, task).finally(() => {
      this.queued -= 1;
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async syncOnce(): Promise<CountReading> {
    if (this.connection.status !== 'ready') return this.partial();
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const entries = this.backlog.take();
      const buffered = sum(entries);
      const restoring = this.toRestore;
      let reply: [string, number];
      try {
        reply = await this.run(HAND_OVER, buffered + restoring, this.epoch ?? '');
      } catch (error) {
        this.backlog.putBack(entries);
        this.unreachable(error);
        return this.partial();
      }
      const [epoch, count] = reply;
      if (count < 0) {
        this.backlog.putBack(entries);
        if (epoch !== this.epoch) this.adopt(epoch);
        continue;
      }
      this.stored += buffered + restoring;
      this.toRestore -= restoring;
      this.last = count;
      this.synced = true;
      this.everSynced = true;
      this.firstSync.resolve();
      if (!this.reachable || buffered > 0 || restoring > 0) {
        this.reachable = true;
        this.log.info({ buffered, restored: restoring }, 'request counter: Redis has the count again');
      }
      // Requests counted while this sync was under way are still here; they follow at once.
      if (this.backlog.total > 0) void this.sync();
      return { requests: count, partial: false };
    }
    return this.partial();
  }

  /** One of the scripts, over the two keys; evaluated in full each time, so it always runs in the order sent. */
  private run(script: string, amount: number, ...rest: string[]): Promise<[string, number]> {
    const fresh = `start:${randomUUID()}`;
    return this.connection.eval(script, 2, this.countKey, this.epochKey, amount, fresh, ...rest) as Promise<
      [string, number]
    >;
  }

  private adopt(epoch: string): void {
    const known = this.epoch;
    this.epoch = epoch;
    const reset = /^reset:(\d+):/.exec(epoch);
    if (reset) {
      // Reset elsewhere since this process last looked: what it had stored was wiped, and so are the buffered
      // increments from before the reset (by this machine's clock); the newer ones stay.
      this.backlog.dropBefore(Number(reset[1]));
      this.stored = 0;
      this.toRestore = 0;
    } else if (known !== undefined) {
      this.log.warn(
        { restoring: this.stored + this.toRestore },
        'request counter: Redis lost the count (restarted without persistence?); putting back what this process counted',
      );
      this.toRestore += this.stored;
      this.stored = 0;
    }
  }

  private partial(): CountReading {
    return { requests: this.last + this.inFlight + this.backlog.total, partial: true };
  }

  private disconnected(): void {
    this.synced = false;
    if (this.closing || !this.reachable) return;
    this.reachable = false;
    if (this.everSynced) this.log.warn('request counter: Redis unreachable; counting in this process until it is back');
  }

  private unreachable(error: unknown): void {
    if (!this.reachable) return;
    this.reachable = false;
    this.log.warn({ err: error }, 'request counter: Redis did not take the count; counting in this process');
  }
}
