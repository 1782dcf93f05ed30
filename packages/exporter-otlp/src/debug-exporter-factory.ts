import type { Exporter, ExporterFactory, Logger, Meter, Signal } from '@semtel/component';
import { errorMessage, formatComponentId, once } from '@semtel/component';
import { encodeMetrics } from '@semtel/otlp';
import type { Logs, Metrics, Traces } from '@semtel/pdata';
import { countLogRecords, countSpans } from '@semtel/pdata';
import { z } from 'zod';
import type { ExporterItemCounters } from './exporter-item-counters.js';
import { exporterItemCounters } from './exporter-item-counters.js';
import {
  formatLogsDetailed,
  formatLogsLines,
  formatTracesDetailed,
  formatTracesLines,
} from './format-telemetry-text.js';

export const debugConfigSchema = z.strictObject({
  /** basic: one summary line per batch; normal: one line per item; detailed: every field. */
  verbosity: z.enum(['basic', 'normal', 'detailed']).default('basic'),
});

export type DebugConfig = z.output<typeof debugConfigSchema>;

/** Writes what it receives to the logger, like the collector's `debug` exporter. Never throws. */
class DebugExporter implements Exporter {
  readonly #logger: Logger;
  readonly #verbosity: DebugConfig['verbosity'];
  readonly #meter: Meter;
  readonly #labels: { exporter: string };
  readonly #counters = new Map<Signal, ExporterItemCounters>();

  constructor(logger: Logger, meter: Meter, exporterName: string, config: DebugConfig) {
    this.#logger = logger;
    this.#meter = meter;
    this.#labels = { exporter: exporterName };
    this.#verbosity = config.verbosity;
  }

  readonly start = once(async (): Promise<void> => {});
  readonly shutdown = once(async (): Promise<void> => {});

  async consumeTraces(traces: Traces): Promise<void> {
    this.#print(
      'traces',
      countSpans(traces),
      'TracesExporter',
      () => ({ 'resource spans': traces.resourceSpans.length, spans: countSpans(traces) }),
      () => formatTracesLines(traces),
      () => formatTracesDetailed(traces),
    );
  }

  async consumeLogs(logs: Logs): Promise<void> {
    this.#print(
      'logs',
      countLogRecords(logs),
      'LogsExporter',
      () => ({ 'resource logs': logs.resourceLogs.length, 'log records': countLogRecords(logs) }),
      () => formatLogsLines(logs),
      () => formatLogsDetailed(logs),
    );
  }

  async consumeMetrics(metrics: Metrics): Promise<void> {
    // Metrics are opaque outside the codec, so the readable form is their OTLP/JSON.
    const json = (): string => Buffer.from(encodeMetrics(metrics, 'json')).toString('utf8');
    this.#print(
      'metrics',
      metrics.dataPointCount,
      'MetricsExporter',
      () => ({ 'resource metrics': metrics.resourceMetrics.length, 'data points': metrics.dataPointCount }),
      json,
      json,
    );
  }

  #print(
    signal: Signal,
    items: number,
    title: string,
    summary: () => object,
    lines: () => string,
    detailed: () => string,
  ): void {
    // Created on first use, so only the signals routed here get series, as for the OTLP exporters.
    let counters = this.#counters.get(signal);
    if (counters === undefined) {
      counters = exporterItemCounters(this.#meter, signal);
      this.#counters.set(signal, counters);
    }
    try {
      this.#logger.info(summary(), title);
      if (this.#verbosity === 'normal') this.#logger.info(lines());
      else if (this.#verbosity === 'detailed') this.#logger.info(detailed());
      counters.sent.add(items, this.#labels);
    } catch (error) {
      counters.sendFailed.add(items, this.#labels);
      try {
        this.#logger.warn({ error: errorMessage(error) }, `${title} could not format the data`);
      } catch {
        // A broken logger must not fail the pipeline either.
      }
    }
  }
}

export const debugExporterFactory: ExporterFactory<DebugConfig> = {
  type: 'debug',
  signals: ['traces', 'logs', 'metrics'],
  configSchema: debugConfigSchema,
  create(settings, config) {
    const { logger, meter } = settings.telemetry;
    return new DebugExporter(logger, meter, formatComponentId(settings.id), config);
  },
};
