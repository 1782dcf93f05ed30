/** The subset of pino's logger that components use, so they never import pino themselves. */
export interface Logger {
  trace(object: object, message?: string): void;
  trace(message: string): void;
  debug(object: object, message?: string): void;
  debug(message: string): void;
  info(object: object, message?: string): void;
  info(message: string): void;
  warn(object: object, message?: string): void;
  warn(message: string): void;
  error(object: object, message?: string): void;
  error(message: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export type Labels = Readonly<Record<string, string>>;

export interface Counter {
  add(value: number, labels?: Labels): void;
}

export interface Gauge {
  set(value: number, labels?: Labels): void;
}

export interface Histogram {
  record(value: number, labels?: Labels): void;
}

export type ObserveCallback = (observe: (value: number, labels?: Labels) => void) => void;

/**
 * Creates self-metrics. Asking twice for the same name returns the same instrument, so
 * several instances of a component (for example two `otlp_http` exporters) share one series
 * family and differ by labels.
 */
export interface Meter {
  counter(name: string, help: string, labelNames?: readonly string[]): Counter;
  gauge(name: string, help: string, labelNames?: readonly string[]): Gauge;
  /** A gauge read at scrape time, for values a component already holds (queue sizes). */
  observableGauge(name: string, help: string, labelNames: readonly string[], callback: ObserveCallback): void;
  histogram(name: string, help: string, labelNames?: readonly string[], buckets?: readonly number[]): Histogram;
}

export interface TelemetrySettings {
  logger: Logger;
  meter: Meter;
}

const noop = (): void => {};

export const noopLogger: Logger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => noopLogger,
};

export const noopMeter: Meter = {
  counter: () => ({ add: noop }),
  gauge: () => ({ set: noop }),
  observableGauge: noop,
  histogram: () => ({ record: noop }),
};

export const noopTelemetry: TelemetrySettings = { logger: noopLogger, meter: noopMeter };
