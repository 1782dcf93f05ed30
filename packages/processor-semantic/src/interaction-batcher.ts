export interface BatchItem {
  /** The content key: one item per distinct interaction. */
  key: string;
  transcript: string;
  tokens: number;
}

export interface InteractionBatcherOptions {
  /** Token budget for the items of one request (the instructions are already subtracted). */
  maxTokens: number;
  maxItems: number;
  maxWaitMs: number;
  maxConcurrency: number;
  dispatch(batch: BatchItem[]): Promise<void>;
}

/** Tokens the item wrapper (id, delimiters) adds to each transcript in the prompt. */
export const itemOverheadTokens = 12;

/**
 * Packs interactions into LLM requests until the token budget, the item count or the
 * wait time is reached, and keeps at most `maxConcurrency` requests in flight. Sealed
 * batches queue in order; their total is bounded by the processor's held-span bound.
 */
export class InteractionBatcher {
  private pending: BatchItem[] = [];
  private pendingTokens = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly sealed: BatchItem[][] = [];
  private inFlight = 0;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(private readonly options: InteractionBatcherOptions) {}

  /** Items waiting for a request: pending plus sealed-but-not-sent. */
  get queuedItems(): number {
    return this.pending.length + this.sealed.reduce((sum, batch) => sum + batch.length, 0);
  }

  get inFlightRequests(): number {
    return this.inFlight;
  }

  add(item: BatchItem): void {
    const cost = item.tokens + itemOverheadTokens;
    if (this.pending.length > 0 && this.pendingTokens + cost > this.options.maxTokens) this.seal();
    this.pending.push(item);
    this.pendingTokens += cost;
    if (this.pending.length >= this.options.maxItems || this.pendingTokens >= this.options.maxTokens) {
      this.seal();
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.seal(), this.options.maxWaitMs);
      this.timer.unref();
    }
  }

  /** Sends these items again in batches of at most `batchSize`, ahead of new work. */
  resend(items: BatchItem[], batchSize: number): void {
    const size = Math.max(1, batchSize);
    const batches: BatchItem[][] = [];
    for (let start = 0; start < items.length; start += size) batches.push(items.slice(start, start + size));
    this.sealed.unshift(...batches);
    this.pump();
  }

  /** Seals what is pending now, without waiting for `maxWait`. */
  flush(): void {
    this.seal();
  }

  /** Resolves when nothing is pending, sealed or in flight. */
  async idle(): Promise<void> {
    this.flush();
    if (this.isIdle()) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.pending.length === 0 && this.sealed.length === 0 && this.inFlight === 0;
  }

  private seal(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.pending.length === 0) return;
    this.sealed.push(this.pending);
    this.pending = [];
    this.pendingTokens = 0;
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < this.options.maxConcurrency && this.sealed.length > 0) {
      const batch = this.sealed.shift() as BatchItem[];
      this.inFlight += 1;
      // dispatch owns its errors; the catch only guards the batcher's own bookkeeping.
      void this.options
        .dispatch(batch)
        .catch(() => {})
        .finally(() => {
          this.inFlight -= 1;
          this.pump();
          if (this.isIdle()) for (const resolve of this.idleWaiters.splice(0)) resolve();
        });
    }
  }
}
