/** `retry_on_failure`, with durations in milliseconds. */
export interface RetryConfig {
  enabled: boolean;
  initial_interval: number;
  max_interval: number;
  /** 0 retries until shutdown. */
  max_elapsed_time: number;
  multiplier: number;
  randomization_factor: number;
}

/**
 * Exponential backoff with jitter, as the collector's exporterhelper computes it: the n-th
 * interval is `initial × multiplier^n` capped at `max_interval`, then spread uniformly over
 * `interval × (1 ± randomization_factor)`. A delay the server asked for (Retry-After,
 * RetryInfo) is a lower bound. No retry is left once the wait would end past `max_elapsed_time`.
 */
export class RetryPolicy {
  readonly config: RetryConfig;
  readonly #random: () => number;

  constructor(config: RetryConfig, random: () => number = Math.random) {
    this.config = config;
    this.#random = random;
  }

  /**
   * The wait before retry number `retry` (0 for the first retry), or undefined when the error
   * must not be retried again. `elapsedMs` is the time since the first attempt started.
   */
  nextDelay(retry: number, elapsedMs: number, serverDelayMs?: number): number | undefined {
    if (!this.config.enabled) return undefined;
    const { initial_interval, max_interval, multiplier, randomization_factor, max_elapsed_time } = this.config;
    const interval = Math.min(max_interval, initial_interval * Math.pow(multiplier, retry));
    const spread = interval * randomization_factor;
    const jittered = interval - spread + this.#random() * 2 * spread;
    const delay = Math.max(0, jittered, serverDelayMs ?? 0);
    if (max_elapsed_time > 0 && elapsedMs + delay > max_elapsed_time) return undefined;
    return delay;
  }
}
