// Shared by this package's tests; not exported from the package.
import { request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type {
  Counter,
  Labels,
  LogsConsumer,
  Meter,
  MetricsConsumer,
  TelemetrySettings,
  TracesConsumer,
} from '@semtel/component';
import { noopLogger } from '@semtel/component';
import type { Logs, Metrics, Traces } from '@semtel/pdata';
import { createLogRecord, createResource, createScope, createSpan } from '@semtel/pdata';

export function sampleTraces(spanCount: number, attributeValue = 'value'): Traces {
  const spans = Array.from({ length: spanCount }, (_, index) =>
    createSpan({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: (index + 1).toString(16).padStart(16, '0'),
      name: `span-${index}`,
      attributes: [{ key: 'sample', value: attributeValue }],
      startTimeUnixNano: 1_700_000_000_000_000_000n,
      endTimeUnixNano: 1_700_000_000_100_000_000n,
    }),
  );
  return {
    resourceSpans: [
      {
        resource: createResource([{ key: 'service.name', value: 'checkout' }]),
        schemaUrl: '',
        scopeSpans: [{ scope: createScope('test-scope', '1.0.0'), schemaUrl: '', spans }],
      },
    ],
  };
}

export function sampleLogs(recordCount: number): Logs {
  const logRecords = Array.from({ length: recordCount }, (_, index) =>
    createLogRecord({ body: `record ${index}`, severityNumber: 9, severityText: 'INFO' }),
  );
  return {
    resourceLogs: [
      {
        resource: createResource([{ key: 'service.name', value: 'checkout' }]),
        schemaUrl: '',
        scopeLogs: [{ scope: createScope('test-scope'), schemaUrl: '', logRecords }],
      },
    ],
  };
}

/** OTLP/JSON with two gauge data points, since metrics are opaque outside the codec. */
export const sampleMetricsJson = JSON.stringify({
  resourceMetrics: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
      scopeMetrics: [
        {
          scope: { name: 'test-scope' },
          metrics: [
            {
              name: 'queue.depth',
              gauge: {
                dataPoints: [
                  { asInt: '3', timeUnixNano: '1700000000000000000' },
                  { asInt: '4', timeUnixNano: '1700000001000000000' },
                ],
              },
            },
          ],
        },
      ],
    },
  ],
});

/** A consumer of every signal that records what it got and answers as `behaviour` says. */
export class RecordingConsumer implements TracesConsumer, LogsConsumer, MetricsConsumer {
  readonly traces: Traces[] = [];
  readonly logs: Logs[] = [];
  readonly metrics: Metrics[] = [];
  behaviour: () => Promise<void> = () => Promise.resolve();

  consumeTraces(traces: Traces): Promise<void> {
    this.traces.push(traces);
    return this.behaviour();
  }

  consumeLogs(logs: Logs): Promise<void> {
    this.logs.push(logs);
    return this.behaviour();
  }

  consumeMetrics(metrics: Metrics): Promise<void> {
    this.metrics.push(metrics);
    return this.behaviour();
  }

  calls(): number {
    return this.traces.length + this.logs.length + this.metrics.length;
  }
}

/** A meter that keeps counter totals per name and label set. */
export class RecordingMeter implements Meter {
  private readonly totals = new Map<string, number>();

  counter(name: string): Counter {
    return {
      add: (value: number, labels: Labels = {}) => {
        const key = RecordingMeter.key(name, labels);
        this.totals.set(key, (this.totals.get(key) ?? 0) + value);
      },
    };
  }

  gauge() {
    return { set: () => undefined };
  }

  observableGauge(): void {}

  histogram() {
    return { record: () => undefined };
  }

  total(name: string, labels: Labels): number {
    return this.totals.get(RecordingMeter.key(name, labels)) ?? 0;
  }

  private static key(name: string, labels: Labels): string {
    const sorted = Object.keys(labels)
      .sort()
      .map((label) => `${label}=${labels[label]}`);
    return `${name}{${sorted.join(',')}}`;
  }
}

export function recordingTelemetry(): { telemetry: TelemetrySettings; meter: RecordingMeter } {
  const meter = new RecordingMeter();
  return { telemetry: { logger: noopLogger, meter }, meter };
}

export interface HttpReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * POSTs (or sends `method`) with node:http. A server may close the connection right after
 * answering an oversized request, so a reset after the response arrived is not an error.
 */
export function sendHttp(
  url: string,
  options: { method?: string; headers?: OutgoingHttpHeaders; body?: Uint8Array | Iterable<Uint8Array> } = {},
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const request = httpRequest(url, { method: options.method ?? 'POST', headers: options.headers ?? {} });
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        settled = true;
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) });
      });
      response.on('error', (error) => {
        if (!settled) reject(error);
      });
    });
    request.on('error', (error) => {
      if (!settled) reject(error);
    });
    const body = options.body;
    if (body === undefined) {
      request.end();
    } else if (body instanceof Uint8Array) {
      request.end(body);
    } else {
      for (const chunk of body) request.write(chunk);
      request.end();
    }
  });
}
