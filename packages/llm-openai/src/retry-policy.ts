import { setTimeout as sleep } from 'node:timers/promises';
import { LlmError, toLlmError } from './llm-error.js';

export interface RetryPolicyOptions {
  /** Attempts in total, the first included. */
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** A server asking us to wait longer than this is not waited for: the error goes to the caller. */
  maxRetryDelayMs: number;
  /** Source of jitter; injectable so tests are deterministic. */
  random?: () => number;
}

export interface RetryEvent {
  attempt: number;
  delayMs: number;
  error: LlmError;
}

/**
 * A simple retry loop: retries `rate_limited`, `server`, `timeout` and `network` errors with
 * exponential backoff and jitter, waits at least what the server asked for (`retryAfterMs`),
 * and never waits past the caller's AbortSignal.
 */
export class RetryPolicy {
  private readonly random: () => number;

  constructor(private readonly options: RetryPolicyOptions) {
    this.random = options.random ?? Math.random;
  }

  /**
   * The wait before the next attempt after `attempt` failed with `error`, or undefined to give up.
   * `retryAfterMs` is what the server asked for, or an estimate standing in for it (default: the error's).
   */
  delayFor(
    error: LlmError,
    attempt: number,
    retryAfterMs: number | undefined = error.retryAfterMs,
  ): number | undefined {
    if (!error.retryable || attempt >= this.options.maxAttempts) return undefined;
    if (retryAfterMs !== undefined && retryAfterMs > 0) {
      if (retryAfterMs > this.options.maxRetryDelayMs) return undefined;
      // A little on top, so callers told the same delay do not all come back at once.
      return retryAfterMs + this.random() * Math.min(250, retryAfterMs * 0.1);
    }
    const backoff = Math.min(this.options.maxBackoffMs, this.options.initialBackoffMs * 2 ** (attempt - 1));
    return backoff * (0.5 + this.random() * 0.5);
  }

  async run<T>(
    operation: (attempt: number) => Promise<T>,
    signal?: AbortSignal,
    onRetry?: (event: RetryEvent) => void,
  ): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      if (signal?.aborted) throw new LlmError('aborted', 'LLM request aborted');
      let error: LlmError;
      try {
        return await operation(attempt);
      } catch (thrown) {
        error = toLlmError(thrown);
      }
      const delayMs = this.delayFor(error, attempt);
      if (delayMs === undefined || signal?.aborted) throw error;
      onRetry?.({ attempt, delayMs, error });
      try {
        await sleep(delayMs, undefined, signal ? { signal } : undefined);
      } catch {
        // Aborted while waiting: the last failure says more than "aborted" does.
        throw error;
      }
    }
  }
}
