import type { Signal } from '@semtel/component';
import { errorMessage, isPermanentError, isRetryableError, PermanentError, RetryableError } from '@semtel/component';
import type { Logs, Metrics, Traces } from '@semtel/pdata';

export type SignalData = Traces | Logs | Metrics;
export type ConsumeFunction = (data: SignalData) => Promise<void>;

export interface ConsumerTarget {
  /** Named in the error when this target refuses, e.g. `exporter "otlp_http"`. */
  readonly description: string;
  readonly consume: ConsumeFunction;
}

/**
 * Hands the same data to several consumers at once and waits for all of them, so a slow or
 * failing target never stops the others from receiving it. Resolves when every target accepted.
 * Otherwise it rejects: with a PermanentError when every refusal was permanent, else with a
 * RetryableError (the longest Retry-After asked for, throttled if any target was throttled).
 * A retry then reaches the targets that accepted again: delivery is at least once, as in the collector.
 *
 * `cloneForEach` gives every target but the last its own copy: pipelines behind a receiver may
 * hold processors that change the data in place. Exporters only read, so they share one copy.
 */
export function fanOut(signal: Signal, targets: readonly ConsumerTarget[], cloneForEach: boolean): ConsumeFunction {
  const [only] = targets;
  if (targets.length === 1 && only !== undefined) return only.consume;
  // Metrics are opaque codec messages that nothing in semtel modifies, so they are never copied.
  const copy = cloneForEach && signal !== 'metrics';
  return async (data) => {
    const results = await Promise.allSettled(
      targets.map((target, index) => {
        try {
          return target.consume(copy && index < targets.length - 1 ? structuredClone(data) : data);
        } catch (error) {
          return Promise.reject(error);
        }
      }),
    );
    const failures: { description: string; error: unknown }[] = [];
    results.forEach((result, index) => {
      if (result.status === 'rejected') {
        failures.push({ description: (targets[index] as ConsumerTarget).description, error: result.reason });
      }
    });
    if (failures.length === 0) return;
    throw combineFailures(failures, targets.length);
  };
}

function combineFailures(failures: readonly { description: string; error: unknown }[], total: number): Error {
  const message = `${failures.length} of ${total} consumers refused: ${failures
    .map((failure) => `${failure.description}: ${errorMessage(failure.error)}`)
    .join('; ')}`;
  const errors = failures.map((failure) => failure.error);
  if (errors.every(isPermanentError)) {
    return new PermanentError(message, { badData: errors.every((error) => error.badData), cause: errors[0] });
  }
  const retryAfter = errors
    .filter(isRetryableError)
    .map((error) => error.retryAfterMs)
    .filter((milliseconds): milliseconds is number => milliseconds !== undefined);
  return new RetryableError(message, {
    retryAfterMs: retryAfter.length === 0 ? undefined : Math.max(...retryAfter),
    throttled: errors.some((error) => isRetryableError(error) && error.throttled),
    cause: errors[0],
  });
}
