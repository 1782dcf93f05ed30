import type { Counter, Meter, Signal } from '@semtel/component';

/** The collector's item noun per signal, as in `otelcol_exporter_sent_spans`. */
export const itemNames: Record<Signal, string> = { traces: 'spans', logs: 'log_records', metrics: 'metric_points' };

/** One signal's share of the collector's exporter counters; every exporter reports through these. */
export interface ExporterItemCounters {
  readonly sent: Counter;
  readonly sendFailed: Counter;
  readonly enqueueFailed: Counter;
}

/** The counters for `signal`, labelled by `exporter`; the same names and help for every exporter type. */
export function exporterItemCounters(meter: Meter, signal: Signal): ExporterItemCounters {
  const noun = itemNames[signal];
  const labelNames = ['exporter'] as const;
  return {
    sent: meter.counter(
      `otelcol_exporter_sent_${noun}`,
      `Number of ${noun} successfully sent to destination.`,
      labelNames,
    ),
    sendFailed: meter.counter(
      `otelcol_exporter_send_failed_${noun}`,
      `Number of ${noun} in failed attempts to send to destination.`,
      labelNames,
    ),
    enqueueFailed: meter.counter(
      `otelcol_exporter_enqueue_failed_${noun}`,
      `Number of ${noun} failed to be added to the sending queue.`,
      labelNames,
    ),
  };
}
