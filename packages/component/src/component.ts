import type { Logs, Metrics, Traces } from '@semtel/pdata';

/** What a component may ask of the running service. */
export interface Host {
  /** Stops the service: the component cannot go on (for example its port is taken after start). */
  reportFatalError(error: Error): void;
}

export interface Component {
  /** Called once, in order exporters, processors, receivers. Throwing aborts the start. */
  start(host: Host): Promise<void>;
  /**
   * Called once, in order receivers, processors, exporters. Must be safe to call twice and
   * before start. `deadline` aborts when the service's shutdown budget is spent: a component
   * drains until then and reports what it could not deliver.
   */
  shutdown(deadline?: AbortSignal): Promise<void>;
}

export type Signal = 'traces' | 'logs' | 'metrics';

/**
 * Consumers resolve once the data is safely handed on (enqueued or exported) and reject
 * with a RetryableError or PermanentError otherwise. The caller must not mutate the data
 * after handing it over: ownership moves with the call.
 */
export interface TracesConsumer {
  consumeTraces(traces: Traces): Promise<void>;
}

export interface LogsConsumer {
  consumeLogs(logs: Logs): Promise<void>;
}

export interface MetricsConsumer {
  consumeMetrics(metrics: Metrics): Promise<void>;
}

export interface NextConsumers {
  traces?: TracesConsumer;
  logs?: LogsConsumer;
  metrics?: MetricsConsumer;
}

export type Receiver = Component;

export interface Processor
  extends Component, Partial<TracesConsumer>, Partial<LogsConsumer>, Partial<MetricsConsumer> {}

export interface Exporter extends Component, Partial<TracesConsumer>, Partial<LogsConsumer>, Partial<MetricsConsumer> {}

export interface Extension extends Component {
  /** Health checks ask each extension's view of readiness, if it has one. */
  ready?(): boolean;
}
