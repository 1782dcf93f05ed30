/**
 * A bounded in-memory FIFO drained by up to `consumers` concurrent workers, like the collector's
 * `sending_queue` with the `requests` sizer. `offer` never blocks: a full queue says so at once,
 * so the caller can answer its own sender with a retryable error instead of waiting.
 */
export class SendingQueue<Item> {
  readonly capacity: number;
  readonly #consumers: number;
  readonly #consume: (item: Item) => Promise<void>;
  #items: (Item | undefined)[] = [];
  #head = 0;
  #active = 0;
  #closed = false;
  #idleWaiters: (() => void)[] = [];

  /** `consume` must not reject; a rejection is caught so a worker never dies. */
  constructor(options: { capacity: number; consumers: number; consume: (item: Item) => Promise<void> }) {
    this.capacity = options.capacity;
    this.#consumers = Math.max(1, options.consumers);
    this.#consume = options.consume;
  }

  /** Requests waiting, not counting those being sent. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Requests being sent right now. */
  get inFlight(): number {
    return this.#active;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Enqueues `item`; false when the queue is full or closed. */
  offer(item: Item): boolean {
    if (this.#closed || this.size >= this.capacity) return false;
    this.#items.push(item);
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
    const rest = this.#items.slice(this.#head) as Item[];
    this.#items = [];
    this.#head = 0;
    if (this.#active === 0) this.#notifyIdle();
    return rest;
  }

  #take(): Item | undefined {
    if (this.size === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head += 1;
    // Compact now and then so a long-lived queue does not keep a growing array of holes.
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  async #work(): Promise<void> {
    this.#active += 1;
    try {
      for (let item = this.#take(); item !== undefined; item = this.#take()) {
        try {
          await this.#consume(item);
        } catch {
          // The consumer owns error handling; this only keeps the worker alive.
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
