import { ArrayTaskQueue, Piscina } from 'piscina';
import { AppError, retryAfter } from '../errors/index.ts';
import type { HashInput } from './hash-worker.ts';

export interface HashPoolOptions {
  /** Worker threads hashing at once. */
  workers: number;
  /** Hashes that may wait for a free worker; one more is refused at once. */
  queue: number;
  /** How long an idle thread lives on; IDLE_WORKER_MS unless set. */
  idleMs?: number;
}

/** Answers for a client that went away before its hash started: nobody reads it, nothing is hashed. */
export class AbandonedError extends AppError {
  constructor() {
    super('dependency_unavailable', 'the client went away before its password was checked');
  }
}

export const HASH_RETRY_AFTER_SECONDS = 1;

/** How long a hashing thread may sit idle before it exits; the next login starts a new one (tens of ms). */
const IDLE_WORKER_MS = 10_000;

/** What a queued job carries beside its input, outside what is posted to the thread. */
interface Queued {
  abandoned: () => boolean;
  job: HashInput & { skip?: boolean };
}

/**
 * Piscina's queue, except that a job whose client has gone is marked when it is taken: its thread answers at
 * once without hashing (piscina can cancel a queued job only by an AbortSignal, and a client's going is a
 * predicate here, not an event).
 */
class DroppingQueue extends ArrayTaskQueue {
  override shift(): ReturnType<ArrayTaskQueue['shift']> {
    const task = super.shift();
    const queued = task?.[Piscina.queueOptionsSymbol as never] as Queued | undefined;
    if (queued?.abandoned()) queued.job.skip = true;
    return task;
  }
}

/**
 * Password hashing off the event loop (piscina): a few low-priority worker threads and a bounded queue. A full
 * queue is a 503 with Retry-After at once, instead of a wait no client sits through; a queued job whose client
 * has gone is dropped before it starts; an idle thread exits (each holds its own V8 heap, tens of MB that a
 * service without logins does not need).
 */
export class HashPool {
  readonly options: HashPoolOptions;
  /** Hashes computed since start (tests count the work a login does). */
  derivations = 0;
  readonly #pool: Piscina<HashInput, Uint8Array | undefined>;

  constructor(options: HashPoolOptions) {
    this.options = options;
    this.#pool = new Piscina({
      filename: new URL('./hash-worker.ts', import.meta.url).href,
      minThreads: 0,
      maxThreads: options.workers,
      maxQueue: Number.POSITIVE_INFINITY,
      idleTimeout: options.idleMs ?? IDLE_WORKER_MS,
      taskQueue: new DroppingQueue(),
    });
  }

  /** Threads alive now, busy or idle. */
  get threads(): number {
    return this.#pool.threads.length;
  }

  get queued(): number {
    return this.#pool.queueSize;
  }

  async derive(input: HashInput, abandoned: () => boolean = () => false): Promise<Buffer> {
    // Counted here rather than read from piscina's errors: at most `workers` running and `queue` waiting.
    if (this.#closed || this.#inFlight >= this.options.workers + this.options.queue) {
      throw new AppError('dependency_unavailable', 'too many password checks in progress, retry later', {
        headers: retryAfter(HASH_RETRY_AFTER_SECONDS),
      });
    }
    const job: Queued['job'] = { ...input };
    Object.assign(job, { [Piscina.queueOptionsSymbol]: { abandoned, job } satisfies Queued });
    this.#inFlight += 1;
    let key: Uint8Array | undefined;
    try {
      key = await this.#pool.run(job);
    } catch (error) {
      if (this.#closed) throw new AppError('dependency_unavailable', 'shutting down');
      throw error;
    } finally {
      this.#inFlight -= 1;
    }
    if (key === undefined) throw new AbandonedError();
    this.derivations += 1;
    return Buffer.from(key);
  }

  #inFlight = 0;
  #closed = false;

  /** Stops the threads; jobs still waiting are refused. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#pool.destroy();
  }
}
