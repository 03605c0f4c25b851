import { requestCounterBacklog } from './metrics.ts';

const MAX_BACKLOG_ENTRIES = 4096;

export interface BacklogEntry {
  /** Date.now() of the latest of these increments. */
  at: number;
  n: number;
}

/**
 * Increments Redis has not taken yet, with when they happened, so that a reset made meanwhile by another process
 * drops the older ones and keeps the newer. Same-millisecond increments share an entry; a long outage under load
 * coarsens the slots instead of growing without bound.
 */
export class Backlog {
  private entries: BacklogEntry[] = [];
  private slotMs = 1;
  total = 0;

  add(n: number, at = Date.now()): void {
    const last = this.entries.at(-1);
    if (last && Math.floor(last.at / this.slotMs) === Math.floor(at / this.slotMs)) {
      last.n += n;
      last.at = Math.max(last.at, at);
    } else {
      this.entries.push({ at, n });
      while (this.entries.length > MAX_BACKLOG_ENTRIES) this.coarsen();
    }
    this.changed(this.total + n);
  }

  take(): BacklogEntry[] {
    const taken = this.entries;
    this.entries = [];
    this.slotMs = 1;
    this.changed(0);
    return taken;
  }

  /** Entries a failed hand-over took; they are older than anything added since. */
  putBack(entries: BacklogEntry[]): void {
    if (entries.length === 0) return;
    this.entries = [...entries, ...this.entries];
    this.changed(sum(this.entries));
  }

  dropBefore(at: number): void {
    this.entries = this.entries.filter((entry) => entry.at >= at);
    this.changed(sum(this.entries));
  }

  private coarsen(): void {
    this.slotMs *= 2;
    const merged: BacklogEntry[] = [];
    for (const entry of this.entries) {
      const last = merged.at(-1);
      if (last && Math.floor(last.at / this.slotMs) === Math.floor(entry.at / this.slotMs)) {
        last.n += entry.n;
        last.at = Math.max(last.at, entry.at);
      } else {
        merged.push({ ...entry });
      }
    }
    this.entries = merged;
  }

  private changed(total: number): void {
    this.total = total;
    requestCounterBacklog.set(total);
  }
}

export const sum = (entries: BacklogEntry[]) => entries.reduce((total, entry) => total + entry.n, 0);
