import type { Logger, Signal } from '@semtel/component';
import { errorMessage, isPermanentError, isRetryableError, PermanentError, RetryableError } from '@semtel/component';
import type { InFlightBudget } from './in-flight-budget.js';
import type { QueueCapacity } from './queue-capacity.js';
import type { QueuePartition } from './queue-store.js';

/** How one signal's data is stored, counted and handed on. */
export interface SignalCodec<Data> {
  encode(data: Data): Uint8Array;
  decode(body: Uint8Array): Data;
  count(data: Data): number;
}

export interface Backoff {
  initialMs: number;
  maxMs: number;
  multiplier: number;
}

/** What the queue reports; every callback counts items of this signal. */
export interface SignalQueueEvents {
  persisted(items: number): void;
  refused(items: number): void;
  delivered(items: number): void;
  failed(items: number): void;
  dropped(items: number): void;
}

export interface SignalQueueOptions<Data> {
  signal: Signal;
  partition: QueuePartition;
  codec: SignalCodec<Data>;
  /** The next consumer; it resolves only once the data was delivered. */
  deliver(data: Data): Promise<void>;
  capacity: QueueCapacity;
  maxInFlight: number;
  /** Bounds the encoded bytes in flight, together with the other signals' queues. */
  inFlightBudget: InFlightBudget;
  backoff: Backoff;
  /** What refused senders are told to wait when the queue is full. */
  fullRetryAfterMs: number;
  logger: Logger;
  events: SignalQueueEvents;
}

/**
 * One signal's durable queue. `enqueue` persists a request and resolves only then; a drain loop
 * hands stored entries to the next consumer, at most `maxInFlight` at a time and within the shared
 * in-flight byte budget, and deletes an entry only when the next consumer resolved. A failed
 * delivery leaves the entry on disk and pauses new deliveries with exponential backoff; the entry
 * goes out again first.
 */
export class SignalQueue<Data> {
  /** Stored entries not in flight, oldest first; `head` saves shifting the array. */
  private waiting: number[] = [];
  private head = 0;
  /** Entries whose delivery failed: they go out again before `waiting`. */
  private readonly retrying: number[] = [];
  private readonly sizes = new Map<number, number>();
  private nextId = 1;
  private inFlight = 0;
  /** Called whenever a delivery settles or an entry goes: shutdown and whenIdle wait on them. */
  private readonly progressed = new Set<() => void>();
  private accepting = false;
  private draining = false;
  private backoffLevel = 0;
  private pausedUntil = 0;
  private pauseTimer: NodeJS.Timeout | undefined;
  private writesFailing = false;

  constructor(private readonly options: SignalQueueOptions<Data>) {}

  /** Entries stored, delivered or not. */
  get size(): number {
    return this.sizes.size;
  }

  get inFlightCount(): number {
    return this.inFlight;
  }

  /** Loads what a previous run left on disk; returns how many entries will be replayed. */
  load(): number {
    const entries = this.options.partition.entries();
    for (const entry of entries) {
      this.sizes.set(entry.id, entry.bytes);
      this.options.capacity.add(entry.bytes);
      this.waiting.push(entry.id);
      this.nextId = Math.max(this.nextId, entry.id + 1);
    }
    return entries.length;
  }

  /** Starts accepting and delivering. */
  start(): void {
    this.accepting = true;
    this.draining = true;
    this.pump();
  }

  /** Persists the request; resolves once it is stored, rejects with RetryableError when full. */
  async enqueue(data: Data): Promise<void> {
    const { codec, capacity, events } = this.options;
    const items = codec.count(data);
    if (!this.accepting) {
      events.refused(items);
      throw new RetryableError('the durable queue is not accepting data (shutting down)', { retryAfterMs: 1000 });
    }
    if (items === 0) return;
    let body: Uint8Array;
    try {
      body = codec.encode(data);
    } catch (error) {
      events.refused(items);
      throw new PermanentError(`the durable queue could not encode the request: ${errorMessage(error)}`, {
        badData: true,
        cause: error,
      });
    }
    if (body.byteLength > capacity.maxBytes) {
      events.refused(items);
      throw new PermanentError(
        `the request (${body.byteLength} bytes encoded) is larger than the durable queue (max_size_mib)`,
      );
    }
    if (!capacity.reserve(body.byteLength)) {
      events.refused(items);
      throw new RetryableError(
        `the durable queue is full (${capacity.usedEntries} requests, ${capacity.usedBytes} bytes stored)`,
        { retryAfterMs: this.options.fullRetryAfterMs },
      );
    }
    const id = this.nextId++;
    try {
      await this.options.partition.put(id, body);
    } catch (error) {
      capacity.release(body.byteLength);
      events.refused(items);
      if (!this.writesFailing) {
        // Once per outage (a full disk fails every write until room is made), with the real cause.
        this.writesFailing = true;
        this.options.logger.error(
          { signal: this.options.signal, error: errorMessage(error) },
          'durable queue cannot write to its store; refusing data with a retryable error until writes succeed again',
        );
      }
      throw new RetryableError(`the durable queue could not store the request: ${errorMessage(error)}`, {
        retryAfterMs: this.options.fullRetryAfterMs,
        cause: error,
      });
    }
    if (this.writesFailing) {
      this.writesFailing = false;
      this.options.logger.info({ signal: this.options.signal }, 'durable queue writes to its store succeed again');
    }
    this.sizes.set(id, body.byteLength);
    events.persisted(items);
    // The decoded request is at hand: deliver it without reading it back when a slot is free;
    // otherwise only its id waits in memory and the data is read from disk when its turn comes.
    if (
      this.canDispatch() &&
      this.retrying.length === 0 &&
      this.head === this.waiting.length &&
      this.options.inFlightBudget.allows(body.byteLength, this.inFlight)
    ) {
      this.dispatch(id, data, items);
    } else {
      this.waiting.push(id);
      this.pump();
    }
  }

  /** Stops accepting new data: later enqueues are refused with a retryable error. */
  stopAccepting(): void {
    this.accepting = false;
  }

  /**
   * Ends delivery for shutdown within `waitMs` (or until the abort). With `drain`, it keeps
   * delivering what is stored until nothing is left or the time is up; otherwise it only waits for
   * the deliveries in flight. Either way it then starts no more and returns how many are still in
   * flight; their entries stay on disk until they settle, and whatever is left goes out on the
   * next start.
   */
  async stopDelivering(waitMs: number, deadline?: AbortSignal, drain = false): Promise<number> {
    if (!drain) {
      this.draining = false;
      clearTimeout(this.pauseTimer);
      this.pauseTimer = undefined;
    }
    const done = (): boolean => (drain ? this.sizes.size === 0 : this.inFlight === 0);
    if (!done() && !deadline?.aborted) {
      await new Promise<void>((resolve) => {
        const finish = (): void => {
          clearTimeout(timer);
          deadline?.removeEventListener('abort', finish);
          this.progressed.delete(check);
          resolve();
        };
        const check = (): void => {
          if (done()) finish();
        };
        const timer = setTimeout(finish, waitMs);
        deadline?.addEventListener('abort', finish, { once: true });
        this.progressed.add(check);
      });
    }
    this.draining = false;
    clearTimeout(this.pauseTimer);
    this.pauseTimer = undefined;
    return this.inFlight;
  }

  /** Resolves once nothing is in flight (for closing the store after a shutdown left some). */
  whenIdle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.inFlight !== 0) return;
        this.progressed.delete(check);
        resolve();
      };
      this.progressed.add(check);
    });
  }

  private canDispatch(): boolean {
    return this.draining && this.inFlight < this.options.maxInFlight && Date.now() >= this.pausedUntil;
  }

  private peekNext(): number | undefined {
    return this.retrying[0] ?? (this.head < this.waiting.length ? this.waiting[this.head] : undefined);
  }

  private takeNext(): number | undefined {
    const retried = this.retrying.shift();
    if (retried !== undefined) return retried;
    if (this.head >= this.waiting.length) return undefined;
    const id = this.waiting[this.head++];
    if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
    return id;
  }

  private pump(): void {
    // Bounded by the entries waiting: each turn either dispatches one or stops.
    while (this.canDispatch()) {
      const next = this.peekNext();
      if (next === undefined) return;
      // Checked before reading: an entry that does not fit is not even decoded.
      if (!this.options.inFlightBudget.allows(this.sizes.get(next) ?? 0, this.inFlight)) return;
      const id = this.takeNext();
      if (id === undefined) return;
      const body = this.options.partition.get(id);
      if (body === undefined) {
        this.forget(id);
        continue;
      }
      let data: Data;
      try {
        data = this.options.codec.decode(body);
      } catch (error) {
        // Only a damaged file gets here: it can never be delivered, and keeping it would block nothing but fill the store.
        this.options.logger.error(
          { signal: this.options.signal, entry: id, error: errorMessage(error) },
          'durable queue entry cannot be decoded; removing it',
        );
        this.options.events.dropped(0);
        this.remove(id);
        continue;
      }
      this.dispatch(id, data, this.options.codec.count(data));
    }
  }

  private dispatch(id: number, data: Data, items: number): void {
    const bytes = this.sizes.get(id) ?? 0;
    this.inFlight += 1;
    this.options.inFlightBudget.take(bytes);
    let delivery: Promise<void>;
    try {
      delivery = this.options.deliver(data);
    } catch (error) {
      delivery = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    delivery.then(
      () => {
        this.options.events.delivered(items);
        this.backoffLevel = 0;
        this.remove(id);
        this.settle(bytes);
      },
      (error: unknown) => {
        this.failed(id, items, error);
        this.settle(bytes);
      },
    );
  }

  private failed(id: number, items: number, error: unknown): void {
    const { logger, signal, events } = this.options;
    if (isPermanentError(error)) {
      // Downstream's verdict on the data itself (the backend refused it): retrying cannot change it.
      logger.error(
        { signal, entry: id, items, error: errorMessage(error) },
        'downstream refused a durable queue entry permanently; removing it',
      );
      events.dropped(items);
      this.remove(id);
      return;
    }
    events.failed(items);
    this.retrying.push(id);
    this.pause(isRetryableError(error) ? error.retryAfterMs : undefined, error);
  }

  private pause(retryAfterMs: number | undefined, error: unknown): void {
    const now = Date.now();
    // Concurrent failures of one outage raise the backoff once, not once per entry in flight.
    if (now < this.pausedUntil) return;
    const { initialMs, maxMs, multiplier } = this.options.backoff;
    const backoffMs = Math.min(maxMs, initialMs * multiplier ** this.backoffLevel);
    this.backoffLevel += 1;
    const waitMs = Math.min(maxMs, Math.max(backoffMs, retryAfterMs ?? 0));
    this.pausedUntil = now + waitMs;
    this.options.logger.warn(
      {
        signal: this.options.signal,
        stored: this.sizes.size,
        retry_in_ms: Math.round(waitMs),
        error: errorMessage(error),
      },
      'durable queue delivery failed; the data stays on disk and is retried',
    );
    clearTimeout(this.pauseTimer);
    this.pauseTimer = setTimeout(() => {
      this.pauseTimer = undefined;
      // Timers may fire a millisecond before Date.now() reaches the deadline; without this the
      // pump would see the pause still in force and no timer would be left to wake it again.
      this.pausedUntil = 0;
      this.pump();
    }, waitMs);
    this.pauseTimer.unref();
  }

  private remove(id: number): void {
    const bytes = this.sizes.get(id);
    this.forget(id);
    if (bytes !== undefined) this.options.capacity.release(bytes);
    this.notifyProgress();
    this.options.partition.remove(id).catch((error: unknown) => {
      // The entry stays on disk and is delivered again after a restart: a duplicate, never a loss.
      this.options.logger.error(
        { signal: this.options.signal, entry: id, error: errorMessage(error) },
        'durable queue could not remove a delivered entry',
      );
    });
  }

  private forget(id: number): void {
    this.sizes.delete(id);
  }

  private settle(bytes: number): void {
    this.inFlight -= 1;
    this.options.inFlightBudget.give(bytes);
    this.pump();
    this.notifyProgress();
  }

  private notifyProgress(): void {
    for (const check of [...this.progressed]) check();
  }
}
