import type { Counter, Host, NextConsumers, Processor, Signal, TelemetrySettings } from '@semtel/component';
import { once, PermanentError, RetryableError } from '@semtel/component';
import type { Logs, Metrics, Traces } from '@semtel/pdata';
import { countDataPoints, countLogRecords, countSpans } from '@semtel/pdata';
import type { MemoryLimiter } from './memory-limiter.js';

const itemNoun = { traces: 'spans', logs: 'log_records', metrics: 'metric_points' } as const satisfies Record<
  Signal,
  string
>;

export const refusedMessage = 'data refused due to high memory usage';

interface SignalCounters {
  accepted: Counter;
  refused: Counter;
}

export interface MemoryLimiterProcessorOptions {
  /** The component id, for the `processor` metric label. */
  id: string;
  limiter: MemoryLimiter;
  /** What refused senders are told to wait. */
  retryAfterMs: number;
}

/**
 * Passes data on while memory is under the soft limits and refuses it with a retryable error
 * otherwise, so senders back off and retry instead of the process running out of memory. Place it
 * first in every pipeline: what it refuses has not been decoded into anything held downstream.
 */
export class MemoryLimiterProcessor implements Processor {
  readonly #options: MemoryLimiterProcessorOptions;
  readonly #next: NextConsumers;
  readonly #counters: Record<Signal, SignalCounters>;
  readonly #labels: { processor: string };

  constructor(options: MemoryLimiterProcessorOptions, next: NextConsumers, telemetry: TelemetrySettings) {
    this.#options = options;
    this.#next = next;
    this.#labels = { processor: options.id };
    const { meter } = telemetry;
    const counters = (signal: Signal): SignalCounters => {
      const noun = itemNoun[signal];
      return {
        accepted: meter.counter(
          `otelcol_processor_memory_limiter_accepted_${noun}`,
          `Number of ${noun} passed on by the memory limiter.`,
          ['processor'],
        ),
        refused: meter.counter(
          `otelcol_processor_memory_limiter_refused_${noun}`,
          `Number of ${noun} refused by the memory limiter because memory usage was high.`,
          ['processor'],
        ),
      };
    };
    this.#counters = { traces: counters('traces'), logs: counters('logs'), metrics: counters('metrics') };
  }

  readonly start = once(async (_host: Host): Promise<void> => {
    this.#options.limiter.start();
  });

  readonly shutdown = once(async (_deadline?: AbortSignal): Promise<void> => {
    this.#options.limiter.stop();
  });

  async consumeTraces(traces: Traces): Promise<void> {
    const next = this.#next.traces;
    if (next === undefined) throw new PermanentError('memory_limiter has no traces pipeline after it');
    this.#admit('traces', countSpans(traces));
    return next.consumeTraces(traces);
  }

  async consumeLogs(logs: Logs): Promise<void> {
    const next = this.#next.logs;
    if (next === undefined) throw new PermanentError('memory_limiter has no logs pipeline after it');
    this.#admit('logs', countLogRecords(logs));
    return next.consumeLogs(logs);
  }

  async consumeMetrics(metrics: Metrics): Promise<void> {
    const next = this.#next.metrics;
    if (next === undefined) throw new PermanentError('memory_limiter has no metrics pipeline after it');
    this.#admit('metrics', countDataPoints(metrics));
    return next.consumeMetrics(metrics);
  }

  #admit(signal: Signal, items: number): void {
    const counters = this.#counters[signal];
    if (this.#options.limiter.refusing) {
      counters.refused.add(items, this.#labels);
      // Not throttled: this is the collector's processor behaviour (HTTP 503 / gRPC UNAVAILABLE),
      // and a sender should come back once memory is freed, whoever it is.
      throw new RetryableError(refusedMessage, { retryAfterMs: this.#options.retryAfterMs });
    }
    counters.accepted.add(items, this.#labels);
  }
}
