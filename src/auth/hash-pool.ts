import { Worker } from 'node:worker_threads';
import { AppError } from '../errors/index.ts';
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
    super(503, 'the client went away before its password was checked');
  }
}

export const HASH_RETRY_AFTER_SECONDS = 1;

interface Pending {
  job: HashInput;
  abandoned: () => boolean;
  resolve: (key: Buffer) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: Pending | undefined;
  /** Ends an idle thread: each holds its own V8 heap, tens of MB that a service without logins does not need. */
  idleTimer?: NodeJS.Timeout;
}

/** How long a hashing thread may sit idle before it exits; the next login starts a new one (tens of ms). */
const IDLE_WORKER_MS = 10_000;

/**
 * Password hashing off the event loop: a few low-priority worker threads and a bounded queue. A full queue is a
 * 503 with Retry-After at once, instead of a wait no client sits through; a queued job whose client has gone
 * is dropped before it starts.
 */
export class HashPool {
  readonly options: HashPoolOptions;
  /** Hashes computed since start (tests count the work a login does). */
  derivations = 0;
  private readonly slots: Slot[] = [];
  private readonly waiting: Pending[] = [];
  private nextId = 0;

  constructor(options: HashPoolOptions) {
    this.options = options;
  }

  /** Threads alive now, busy or idle. */
  get threads(): number {
    return this.slots.length;
  }

  get queued(): number {
    return this.waiting.length;
  }

  derive(job: HashInput, abandoned: () => boolean = () => false): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const pending: Pending = { job, abandoned, resolve, reject };
      const slot = this.freeSlot();
      if (slot) return this.run(slot, pending);
      if (this.waiting.length >= this.options.queue) {
        reject(
          new AppError(503, 'too many password checks in progress, retry later', {
            headers: { 'retry-after': String(HASH_RETRY_AFTER_SECONDS) },
          }),
        );
        return;
      }
      this.waiting.push(pending);
    });
  }

  /** Stops the threads; jobs still waiting are refused. */
  async close(): Promise<void> {
    for (const pending of this.waiting.splice(0)) pending.reject(new AppError(503, 'shutting down'));
    await Promise.all(
      this.slots.splice(0).map((slot) => {
        clearTimeout(slot.idleTimer);
        return slot.worker.terminate();
      }),
    );
  }

  private freeSlot(): Slot | undefined {
    const idle = this.slots.find((slot) => slot.busy === undefined);
    if (idle) return idle;
    if (this.slots.length >= this.options.workers) return undefined;
    const slot: Slot = { worker: new Worker(new URL('./hash-worker.ts', import.meta.url)), busy: undefined };
    slot.worker.unref();
    slot.worker.on('message', (message: { key?: Uint8Array; error?: string }) => {
      const pending = slot.busy;
      slot.busy = undefined;
      slot.worker.unref();
      if (pending) {
        this.derivations += 1;
        if (message.key) pending.resolve(Buffer.from(message.key));
        else pending.reject(new Error(`password hashing failed: ${message.error}`));
      }
      this.next(slot);
    });
    slot.worker.on('error', (error) => {
      slot.busy?.reject(error);
      slot.busy = undefined;
      this.slots.splice(this.slots.indexOf(slot), 1);
      const replacement = this.freeSlot();
      if (replacement) this.next(replacement);
    });
    this.slots.push(slot);
    return slot;
  }

  private run(slot: Slot, pending: Pending): void {
    clearTimeout(slot.idleTimer);
    slot.busy = pending;
    // A thread at work keeps the process alive until its answer is in; an idle one does not.
    slot.worker.ref();
    this.nextId += 1;
    slot.worker.postMessage({ ...pending.job, id: this.nextId });
  }

  private next(slot: Slot): void {
    for (let pending = this.waiting.shift(); pending; pending = this.waiting.shift()) {
      if (pending.abandoned()) {
        pending.reject(new AbandonedError());
        continue;
      }
      this.run(slot, pending);
      return;
    }
    slot.idleTimer = setTimeout(() => this.retire(slot), this.options.idleMs ?? IDLE_WORKER_MS).unref();
  }

  private retire(slot: Slot): void {
    const at = this.slots.indexOf(slot);
    if (slot.busy !== undefined || at === -1) return;
    this.slots.splice(at, 1);
    void slot.worker.terminate();
  }
}
