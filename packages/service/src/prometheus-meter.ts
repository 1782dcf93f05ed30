import type { Counter, Gauge, Histogram, Labels, Meter, ObserveCallback } from '@semtel/component';
import {
  collectDefaultMetrics,
  Counter as PromCounter,
  Gauge as PromGauge,
  Histogram as PromHistogram,
  Registry,
} from 'prom-client';

type Instrument =
  | { kind: 'counter'; metric: PromCounter; labelNames: readonly string[] }
  | { kind: 'gauge'; metric: PromGauge; labelNames: readonly string[] }
  | { kind: 'observable'; metric: PromGauge; labelNames: readonly string[]; callbacks: ObserveCallback[] }
  | { kind: 'histogram'; metric: PromHistogram; labelNames: readonly string[] };

/**
 * The component `Meter` on one prom-client Registry. Counter names get the `_total` suffix
 * Prometheus exposition requires when they lack it, so `otelcol_exporter_sent_spans` is
 * exposed as `otelcol_exporter_sent_spans_total`, as the collector's own endpoint does.
 * Recording never throws: a self-metric must not fail the pipeline.
 */
export class PrometheusMeter implements Meter {
  readonly registry = new Registry();
  readonly #instruments = new Map<string, Instrument>();
  readonly #startedAt = Date.now();
  readonly #onRecordError: (error: unknown, name: string) => void;

  constructor(options: { onRecordError?: (error: unknown, name: string) => void } = {}) {
    this.#onRecordError = options.onRecordError ?? (() => {});
    collectDefaultMetrics({ register: this.registry });
    this.#registerProcessMetrics();
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    const exposedName = name.endsWith('_total') ? name : `${name}_total`;
    const instrument = this.#instrument(exposedName, 'counter', labelNames, () => ({
      kind: 'counter',
      metric: new PromCounter({ name: exposedName, help, labelNames, registers: [this.registry] }),
      labelNames,
    }));
    const metric = instrument.metric as PromCounter;
    return {
      add: (value, labels) => {
        this.#record(exposedName, () => (labels === undefined ? metric.inc(value) : metric.inc(labels, value)));
      },
    };
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    const instrument = this.#instrument(name, 'gauge', labelNames, () => ({
      kind: 'gauge',
      metric: new PromGauge({ name, help, labelNames, registers: [this.registry] }),
      labelNames,
    }));
    const metric = instrument.metric as PromGauge;
    return {
      set: (value, labels) => {
        this.#record(name, () => (labels === undefined ? metric.set(value) : metric.set(labels, value)));
      },
    };
  }

  observableGauge(name: string, help: string, labelNames: readonly string[], callback: ObserveCallback): void {
    const callbacks: ObserveCallback[] = [];
    const onRecordError = this.#onRecordError;
    const instrument = this.#instrument(name, 'observable', labelNames, () => ({
      kind: 'observable',
      metric: new PromGauge({
        name,
        help,
        labelNames,
        registers: [this.registry],
        // Several components may observe one family (one queue per exporter), so each scrape
        // starts empty and asks every callback.
        collect(this: PromGauge) {
          this.reset();
          for (const observeInto of callbacks) {
            try {
              observeInto((value: number, labels?: Labels) => {
                if (labels === undefined) this.set(value);
                else this.set(labels, value);
              });
            } catch (error) {
              onRecordError(error, name);
            }
          }
        },
      }),
      labelNames,
      callbacks,
    }));
    if (instrument.kind === 'observable') instrument.callbacks.push(callback);
  }

  histogram(name: string, help: string, labelNames: readonly string[] = [], buckets?: readonly number[]): Histogram {
    const instrument = this.#instrument(name, 'histogram', labelNames, () => ({
      kind: 'histogram',
      metric: new PromHistogram({
        name,
        help,
        labelNames,
        registers: [this.registry],
        ...(buckets === undefined ? {} : { buckets: [...buckets] }),
      }),
      labelNames,
    }));
    const metric = instrument.metric as PromHistogram;
    return {
      record: (value, labels) => {
        this.#record(name, () => (labels === undefined ? metric.observe(value) : metric.observe(labels, value)));
      },
    };
  }

  /** The Prometheus text exposition of every metric. */
  metricsText(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  #instrument(
    name: string,
    kind: Instrument['kind'],
    labelNames: readonly string[],
    create: () => Instrument,
  ): Instrument {
    const existing = this.#instruments.get(name);
    if (existing === undefined) {
      const instrument = create();
      this.#instruments.set(name, instrument);
      return instrument;
    }
    // Same name, same instrument; a different kind or label set is a programming error worth failing start for.
    if (existing.kind !== kind) {
      throw new Error(`metric "${name}" is already registered as a ${existing.kind}, not a ${kind}`);
    }
    if ([...existing.labelNames].sort().join(',') !== [...labelNames].sort().join(',')) {
      throw new Error(
        `metric "${name}" is already registered with labels [${existing.labelNames.join(', ')}], not [${labelNames.join(', ')}]`,
      );
    }
    return existing;
  }

  #record(name: string, record: () => void): void {
    try {
      record();
    } catch (error) {
      this.#onRecordError(error, name);
    }
  }

  /** The collector's process metrics, under the names its Prometheus endpoint uses. */
  #registerProcessMetrics(): void {
    const startedAt = this.#startedAt;
    new PromCounter({
      name: 'otelcol_process_uptime_seconds_total',
      help: 'Uptime of the process.',
      registers: [this.registry],
      collect(this: PromCounter) {
        this.reset();
        this.inc((Date.now() - startedAt) / 1000);
      },
    });
    new PromGauge({
      name: 'otelcol_process_memory_rss_bytes',
      help: 'Total physical memory (resident set size).',
      registers: [this.registry],
      collect(this: PromGauge) {
        this.set(process.memoryUsage.rss());
      },
    });
    new PromGauge({
      name: 'otelcol_process_runtime_heap_alloc_bytes',
      help: 'Bytes of allocated heap objects.',
      registers: [this.registry],
      collect(this: PromGauge) {
        this.set(process.memoryUsage().heapUsed);
      },
    });
    new PromCounter({
      name: 'otelcol_process_cpu_seconds_total',
      help: 'Total CPU user and system time in seconds.',
      registers: [this.registry],
      collect(this: PromCounter) {
        const usage = process.cpuUsage();
        this.reset();
        this.inc((usage.user + usage.system) / 1e6);
      },
    });
  }
}
