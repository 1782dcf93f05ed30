interface Entry<Item> {
  readonly item: Item;
  readonly bytes: number;
}

/**
 * A bounded in-memory FIFO drained by up to `consumers` concurrent workers, like the collector's
 * `sending_queue`. It is bounded twice: by the number of items waiting (`capacity`, the
 * collector's `queue_size` with the `requests` sizer) and by the bytes it holds (`maxBytes`),
 * counting each item from `offer` until its consumer finishes, so a backend outage cannot grow
 * memory beyond it however large the requests are. `offer` never blocks: a full queue says so at
 * once, so the caller can answer its own sender with a retryable error instead of waiting.
 */
export class SendingQueue<Item> {
  readonly capacity: number;
  readonly maxBytes: number;
  readonly #consumers: number;
  readonly #consume: (item: Item) => Promise<void>;
  #entries: (Entry<Item> | undefined)[] = [];
  #head = 0;
  #active = 0;
  #bytes = 0;
  #closed = false;
  #idleWaiters: (() => void)[] = [];

  /** `consume` must not reject; a rejection is caught so a worker never dies. */
  constructor(options: {
    capacity: number;
    maxBytes?: number;
    consumers: number;
    consume: (item: Item) => Promise<void>;
  }) {
    this.capacity = options.capacity;
    this.maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
    this.#consumers = Math.max(1, options.consumers);
    this.#consume = options.consume;
  }

  /** Items waiting, not counting those being sent. */
  get size(): number {
    return this.#entries.length - this.#head;
  }

  /** Items being sent right now. */
  get inFlight(): number {
    return this.#active;
  }

  /** Bytes of every item waiting or being sent. */
  get bytes(): number {
    return this.#bytes;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Whether an offer could succeed now; lets a caller skip costly work for an offer bound to fail. */
  hasRoom(): boolean {
    return !this.#closed && this.size < this.capacity && (this.#bytes === 0 || this.#bytes < this.maxBytes);
  }

  /**
   * Enqueues `item` of `bytes`; false when the queue is closed, has `capacity` items waiting, or
   * would hold more than `maxBytes`. An item larger than `maxBytes` is taken when the queue holds
   * nothing else, so that no request is refused forever.
   */
  offer(item: Item, bytes = 0): boolean {
    if (this.#closed || this.size >= this.capacity) return false;
    if (this.#bytes > 0 && this.#bytes + bytes > this.maxBytes) return false;
    this.#entries.push({ item, bytes });
    this.#bytes += bytes;
    if (this.#active < this.#consumers) void this.#work();
    return true;
  }

  /** Stops accepting; queued items are still sent. */
  close(): void {
    this.#closed = true;
  }

  /** Resolves once nothing is queued or in flight. */
  whenIdle(): Promise<void> {
    if (this.size === 0 && this.#active === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Removes and returns everything still queued (not the in-flight items). */
  takeAll(): Item[] {
    const rest = this.#entries.slice(this.#head) as Entry<Item>[];
    this.#entries = [];
    this.#head = 0;
    for (const entry of rest) this.#bytes -= entry.bytes;
    if (this.#active === 0) this.#notifyIdle();
    return rest.map((entry) => entry.item);
  }

  #take(): Entry<Item> | undefined {
    if (this.size === 0) return undefined;
    const entry = this.#entries[this.#head];
    this.#entries[this.#head] = undefined;
    this.#head += 1;
    // Compact now and then so a long-lived queue does not keep a growing array of holes.
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
    return entry;
  }

  async #work(): Promise<void> {
    this.#active += 1;
    try {
      for (let entry = this.#take(); entry !== undefined; entry = this.#take()) {
        try {
          await this.#consume(entry.item);
        } catch {
          // The consumer owns error handling; this only keeps the worker alive.
        } finally {
          this.#bytes -= entry.bytes;
        }
      }
    } finally {
      this.#active -= 1;
      if (this.#active === 0 && this.size === 0) this.#notifyIdle();
    }
  }

  #notifyIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
