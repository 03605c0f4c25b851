/** What a count request answers: the figure, and whether it is only this process's best knowledge. */
export interface CountReading {
  requests: number;
  partial: boolean;
}

export interface RequestCounter {
  /**
   * Counts one request. Never waits on anything and never fails; what it returns settles to a reading that
   * includes this request.
   */
  count(): CountReading | Promise<CountReading>;
  /** The figure for a count request, given what its own `count()` returned. */
  read(own: CountReading | Promise<CountReading>): Promise<CountReading>;
  /** Zero the count everywhere; rejects when that cannot be done (the shared store is unreachable). */
  reset(): Promise<void>;
  /** Resolves once the counter is ready to count (or has waited long enough), before the server listens. */
  ready?(): Promise<void>;
  /** What a response about to leave must wait for, so that it never overtakes its own increment. */
  beforeResponse?(): Promise<void> | undefined;
  close(): Promise<void>;
}

/** Without Redis: exact for this one process, and only for it. */
export class InProcessCounter implements RequestCounter {
  private requests = 0;

  count(): CountReading {
    this.requests += 1;
    return { requests: this.requests, partial: false };
  }

  async read(): Promise<CountReading> {
    return { requests: this.requests, partial: false };
  }

  async reset(): Promise<void> {
    this.requests = 0;
  }

  async close(): Promise<void> {}
}
