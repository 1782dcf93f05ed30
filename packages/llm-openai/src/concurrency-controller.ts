import { LlmError } from './llm-error.js';

export interface ConcurrencyControllerOptions {
  initial: number;
  min: number;
  max: number;
  /** Successes in a row before the limit grows by one. */
  increaseAfter: number;
  /** Factor applied to the limit on the first 429 of a burst. */
  decreaseFactor: number;
  onLimitChange?: (limit: number) => void;
}

interface Waiter {
  resolve: () => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

/**
 * AIMD concurrency limit for one endpoint, as NVIDIA Data Designer and Netflix's AIMDLimit do it:
 * multiply by `decreaseFactor` on a 429, but only once per overload ("cascade dampening"): a request
 * notes the `epoch` when it is sent, and its 429 cuts only if no cut happened since. The requests already
 * in flight when the limit was cut answer 429 too, and successes among them do not end the overload they
 * all saw. Add one after `increaseAfter` successes in a row, only while the limit is being used (in
 * flight ≥ half of it).
 */
export class AimdConcurrencyController {
  private currentLimit: number;
  private active = 0;
  private successes = 0;
  private cuts = 0;
  private readonly waiters: Waiter[] = [];

  constructor(private readonly options: ConcurrencyControllerOptions) {
    this.currentLimit = clamp(options.initial, options.min, options.max);
  }

  get limit(): number {
    return this.currentLimit;
  }

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiters.length;
  }

  /** How many times the limit was cut; note it when a request is sent and pass it to `onRateLimited`. */
  get epoch(): number {
    return this.cuts;
  }

  /** Waits for a free slot. Rejects with `aborted` when `signal` fires first. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(aborted());
    if (this.active < this.currentLimit && this.waiters.length === 0) {
      this.active += 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        signal,
        onAbort: () => {
          const index = this.waiters.indexOf(waiter);
          if (index >= 0) this.waiters.splice(index, 1);
          reject(aborted());
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  release(): void {
    this.active = Math.max(0, this.active - 1);
    this.wake();
  }

  /** A request succeeded; `inFlight` is how many were in flight when it finished, itself included. */
  onSuccess(inFlight: number = this.active): void {
    this.successes += 1;
    if (this.successes < this.options.increaseAfter) return;
    this.successes = 0;
    if (inFlight * 2 >= this.currentLimit) this.setLimit(this.currentLimit + 1);
  }

  /**
   * The endpoint answered 429 (rate limited) to a request sent at `sentAtEpoch`. A request sent before the
   * latest cut saw the overload that cut already answered, so it does not cut again.
   */
  onRateLimited(sentAtEpoch: number = this.cuts): void {
    this.successes = 0;
    if (sentAtEpoch < this.cuts) return;
    this.cuts += 1;
    this.setLimit(Math.floor(this.currentLimit * this.options.decreaseFactor));
  }

  /** Any other failure: the run of successes starts over. */
  onFailure(): void {
    this.successes = 0;
  }

  private setLimit(limit: number): void {
    const next = clamp(limit, this.options.min, this.options.max);
    if (next === this.currentLimit) return;
    this.currentLimit = next;
    this.options.onLimitChange?.(next);
    this.wake();
  }

  private wake(): void {
    while (this.active < this.currentLimit && this.waiters.length > 0) {
      const waiter = this.waiters.shift() as Waiter;
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      this.active += 1;
      waiter.resolve();
    }
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, Math.round(value)));
}

function aborted(): LlmError {
  return new LlmError('aborted', 'LLM request aborted while waiting for a concurrency slot');
}
