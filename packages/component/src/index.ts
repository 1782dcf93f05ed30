export type {
  Component,
  Exporter,
  Extension,
  Host,
  LogsConsumer,
  MetricsConsumer,
  NextConsumers,
  Processor,
  Receiver,
  Signal,
  TracesConsumer,
} from './component.js';
export { errorMessage, isPermanentError, isRetryableError, PermanentError, RetryableError } from './errors.js';
export type {
  ComponentId,
  CreateSettings,
  ExporterFactory,
  ExtensionFactory,
  ProcessorFactory,
  ReceiverFactory,
} from './factory.js';
export { formatComponentId, parseComponentId } from './factory.js';
export { once } from './once.js';
export type {
  Counter,
  Gauge,
  Histogram,
  Labels,
  Logger,
  Meter,
  ObserveCallback,
  TelemetrySettings,
} from './telemetry.js';
export { noopLogger, noopMeter, noopTelemetry } from './telemetry.js';
export { durationSchema, formatDuration, parseDuration } from './duration.js';
