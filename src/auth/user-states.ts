import { LRUCache } from 'lru-cache';
import type { Database } from '../db/index.ts';
import { findUserState, type UserState } from './queries.ts';
import type { UserChangeChannel } from './user-changes.ts';

/** How old an auth state may be when it is used: a change made on another replica takes effect within this. */
export const STALENESS_BOUND_MS = 1000;
const MAX_ENTRIES = 100_000;

/**
 * Each user's auth state (the row findUserState reads: role and whatever else decides whether a token is
 * honoured), kept in memory so an authenticated request makes one database round trip instead of two.
 *
 * The rule (docs/performance.md, "The user-state cache"): a cached state is used only while the change channel
 * is listening and has been caught up within STALENESS_BOUND_MS, that is, every change committed before a moment
 * less than the bound ago has been heard and has dropped its user's entry. A state read while the channel was not
 * listening, or while any change was heard, is not kept. When the channel goes down every entry is dropped and each
 * request reads the row itself until the channel listens again. A change made by this process is dropped here
 * as soon as it commits (forget), so it takes effect at once.
 */
export class UserStates {
  readonly #db: Database;
  readonly #channel: UserChangeChannel | undefined;
  readonly #entries = new LRUCache<number, { state: UserState | undefined }>({ max: MAX_ENTRIES });
  #listening = false;
  #caughtUpAt = Number.NEGATIVE_INFINITY;
  /** Bumped by every change heard and every channel event: a read that overlapped one is not kept. */
  #generation = 0;

  constructor(db: Database, channel: UserChangeChannel | undefined) {
    this.#db = db;
    this.#channel = channel;
    channel?.start({
      changed: (id) => (id === undefined ? this.#clear() : this.forget(id)),
      connected: () => {
        this.#clear();
        this.#listening = true;
      },
      disconnected: () => {
        this.#listening = false;
        this.#clear();
      },
      caughtUp: (at) => {
        this.#caughtUpAt = Math.max(this.#caughtUpAt, at);
      },
    });
  }

  /** Whether cached states are being used now (tests and the readiness of the cache). */
  get trusted(): boolean {
    return this.#listening && performance.now() - this.#caughtUpAt < STALENESS_BOUND_MS;
  }

  /** The user's auth state, undefined when the user does not exist. */
  async get(id: number): Promise<UserState | undefined> {
    if (!this.#channel) return findUserState(this.#db, id);
    if (this.trusted) {
      const entry = this.#entries.get(id);
      if (entry) return entry.state;
    }
    const generation = this.#generation;
    const state = await findUserState(this.#db, id);
    if (generation === this.#generation && this.#listening) this.#entries.set(id, { state });
    return state;
  }

  /** Call after committing a change to user `id`: this process uses the new state from its next request. */
  forget(id: number): void {
    this.#generation += 1;
    this.#entries.delete(id);
  }

  close(): Promise<void> {
    return this.#channel?.close() ?? Promise.resolve();
  }

  #clear(): void {
    this.#generation += 1;
    this.#entries.clear();
  }
}
