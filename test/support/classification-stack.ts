/**
 * An in-process semtel for the classification end-to-end tests: `startService` with port 0
 * receivers, the `semantic` processor classifying through a FakeOpenAiServer (the
 * "classifier LLM"), and an `otlp_http` exporter delivering to an OtlpSink.
 */
import type { Logger } from '@semtel/component';
import type { RunningService } from '@semtel/service';
import { startService } from '@semtel/service';
import type { FakeOpenAiServerOptions } from '@semtel/testing';
import { FakeOpenAiServer, OtlpSink } from '@semtel/testing';

export const classifierApiKey = 'sk-e2e-classifier-0123456789';
export const classifierModel = 'fake-classifier-mini';

export interface LogLine {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown>;
}

/** A component Logger that keeps what it is told (bounded), so tests stay quiet and can read it. */
export class RecordingLogger implements Logger {
  constructor(
    readonly lines: LogLine[] = [],
    private readonly bindings: Record<string, unknown> = {},
  ) {}

  trace(objectOrMessage: object | string, message?: string): void {
    this.write('trace', objectOrMessage, message);
  }
  debug(objectOrMessage: object | string, message?: string): void {
    this.write('debug', objectOrMessage, message);
  }
  info(objectOrMessage: object | string, message?: string): void {
    this.write('info', objectOrMessage, message);
  }
  warn(objectOrMessage: object | string, message?: string): void {
    this.write('warn', objectOrMessage, message);
  }
  error(objectOrMessage: object | string, message?: string): void {
    this.write('error', objectOrMessage, message);
  }
  child(bindings: Record<string, unknown>): Logger {
    return new RecordingLogger(this.lines, { ...this.bindings, ...bindings });
  }

  /** Warnings and errors, one per line, for failure messages. */
  problems(): string {
    return this.lines
      .filter((line) => line.level === 'warn' || line.level === 'error')
      .map((line) => `${line.level}: ${line.message} ${JSON.stringify(line.fields)}`)
      .join('\n');
  }

  private write(level: LogLine['level'], objectOrMessage: object | string, message?: string): void {
    if (this.lines.length >= 5000) this.lines.shift();
    if (typeof objectOrMessage === 'string') {
      this.lines.push({ level, message: objectOrMessage, fields: { ...this.bindings } });
    } else {
      this.lines.push({ level, message: message ?? '', fields: { ...this.bindings, ...objectOrMessage } });
    }
  }
}

export interface ClassificationStackOptions {
  /** Merged over the `semantic` processor defaults below (shallow, per key). */
  semantic?: Record<string, unknown>;
  /** Merged over the `llm` block below; `false` leaves `llm` out (the offline lexical classifier). */
  llm?: Record<string, unknown> | false;
  classifierOptions?: FakeOpenAiServerOptions;
  /** Serve `/metrics` on a free loopback port (default: no metrics endpoint). */
  serveMetrics?: boolean;
  /** Extra variables for `${env:…}` in the configuration. */
  env?: Record<string, string>;
}

export interface ClassificationStack {
  service: RunningService;
  sink: OtlpSink;
  /** The classifier LLM semtel talks to (also started when `llm: false`, to prove it is not called). */
  classifierLlm: FakeOpenAiServer;
  logger: RecordingLogger;
  /** `http://127.0.0.1:<port>` of semtel's OTLP/HTTP receiver. */
  httpEndpoint: string;
  /** `127.0.0.1:<port>` of semtel's OTLP/gRPC receiver. */
  grpcEndpoint: string;
  /** `http://127.0.0.1:<port>/metrics` with `serveMetrics`, else undefined. */
  metricsUrl: string | undefined;
  close(): Promise<void>;
}

/**
 * Starts the sink, the classifier LLM and semtel. The configuration is written as JSON, which
 * is YAML too, so it goes through the same parser, `${env:…}` substitution and validation as a
 * user's file; the API key arrives through the environment.
 */
export async function startClassificationStack(options: ClassificationStackOptions = {}): Promise<ClassificationStack> {
  const sink = await OtlpSink.start();
  const classifierLlm = await FakeOpenAiServer.start({ apiKey: classifierApiKey, ...options.classifierOptions });
  const logger = new RecordingLogger();
  const llm =
    options.llm === false
      ? undefined
      : {
          base_url: classifierLlm.baseUrl,
          api_key: '${env:SEMTEL_E2E_CLASSIFIER_KEY}',
          model: classifierModel,
          timeout: '5s',
          response_format: 'json_schema',
          retry: { max_attempts: 4, initial_backoff: '50ms', max_backoff: '500ms', max_retry_delay: '5s' },
          ...options.llm,
        };
  const semantic: Record<string, unknown> = {
    ...(llm ? { llm } : {}),
    batch: { max_tokens: 8000, max_items: 20, max_wait: '100ms' },
    max_hold: '15s',
    join_wait: '3s',
    ...options.semantic,
  };
  const config = {
    receivers: {
      otlp: { protocols: { grpc: { endpoint: '127.0.0.1:0' }, http: { endpoint: '127.0.0.1:0' } } },
    },
    processors: { semantic },
    exporters: {
      otlp_http: {
        endpoint: sink.httpEndpoint,
        compression: 'none',
        retry_on_failure: { initial_interval: '100ms', max_interval: '500ms', max_elapsed_time: '20s' },
      },
    },
    service: {
      pipelines: {
        traces: { receivers: ['otlp'], processors: ['semantic'], exporters: ['otlp_http'] },
        logs: { receivers: ['otlp'], processors: ['semantic'], exporters: ['otlp_http'] },
      },
      telemetry: {
        metrics: options.serveMetrics ? { level: 'normal', address: '127.0.0.1:0' } : { level: 'none' },
        logs: { level: 'info' },
      },
      shutdown_timeout: '5s',
    },
  };
  let service: RunningService;
  try {
    service = await startService({
      config: JSON.stringify(config, null, 2),
      env: { SEMTEL_E2E_CLASSIFIER_KEY: classifierApiKey, ...options.env },
      logger,
    });
  } catch (error) {
    await Promise.all([sink.close(), classifierLlm.close()]);
    throw error;
  }
  const otlp = service.addresses.receivers.otlp;
  if (otlp?.http === undefined || otlp.grpc === undefined) {
    await Promise.all([service.shutdown(), sink.close(), classifierLlm.close()]);
    throw new Error(`semtel reported no receiver addresses: ${JSON.stringify(service.addresses)}`);
  }
  return {
    service,
    sink,
    classifierLlm,
    logger,
    httpEndpoint: `http://${otlp.http}`,
    grpcEndpoint: otlp.grpc,
    metricsUrl: service.addresses.metrics === undefined ? undefined : `http://${service.addresses.metrics}/metrics`,
    async close() {
      await service.shutdown();
      await Promise.all([sink.close(), classifierLlm.close()]);
    },
  };
}
