import type { ServerUnaryCall, sendUnaryData, ServiceDefinition } from '@grpc/grpc-js';
import { Metadata, Server, ServerCredentials, status } from '@grpc/grpc-js';
import type { Exporter, Signal } from '@semtel/component';
import { PermanentError, RetryableError } from '@semtel/component';
import { decodeLogs, decodeTraces, encodeExportResponse, encodeRpcStatus, grpcExportPaths } from '@semtel/otlp';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { otlpGrpcExporterFactory } from './otlp-grpc-exporter-factory.js';
import { resolveGrpcTarget } from './otlp-grpc-transport.js';
import type { RecordingTelemetry } from './testing/recording-telemetry.js';
import { recordingTelemetry } from './testing/recording-telemetry.js';
import { sampleLogs, sampleTraces } from './testing/sample-data.js';
import type { SelfSignedCertificate } from './testing/self-signed-certificate.js';
import { createSelfSignedCertificate, opensslAvailable } from './testing/self-signed-certificate.js';

interface ReceivedCall {
  signal: Signal;
  metadata: Metadata;
  body: Buffer;
}

interface GrpcError {
  code: number;
  details: string;
  retryDelayMs?: number;
}

type Respond = (call: ReceivedCall, index: number) => GrpcError | Buffer;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const identity = (value: Buffer): Buffer => value;

function exportMethod(signal: Signal) {
  return {
    path: grpcExportPaths[signal],
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  };
}

async function startServer(
  respond: Respond,
  tls?: SelfSignedCertificate,
): Promise<{ endpoint: string; received: ReceivedCall[] }> {
  const received: ReceivedCall[] = [];
  const server = new Server();
  const handler = (signal: Signal) => (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
    received.push({ signal, metadata: call.metadata, body: call.request });
    const outcome = respond(received[received.length - 1] as ReceivedCall, received.length - 1);
    if (Buffer.isBuffer(outcome)) {
      callback(null, outcome);
      return;
    }
    const trailers = new Metadata();
    if (outcome.retryDelayMs !== undefined) {
      trailers.set(
        'grpc-status-details-bin',
        Buffer.from(
          encodeRpcStatus(
            { code: outcome.code, message: outcome.details, retryDelayMs: outcome.retryDelayMs },
            'protobuf',
          ),
        ),
      );
    }
    callback({ code: outcome.code, details: outcome.details, metadata: trailers });
  };
  for (const signal of ['traces', 'logs'] as const) {
    server.addService({ Export: exportMethod(signal) } as ServiceDefinition, { Export: handler(signal) });
  }
  const credentials =
    tls === undefined
      ? ServerCredentials.createInsecure()
      : ServerCredentials.createSsl(null, [{ cert_chain: tls.cert, private_key: tls.key }]);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (error, bound) => (error === null ? resolve(bound) : reject(error))),
  );
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.forceShutdown();
        resolve();
      }),
  );
  return { endpoint: `127.0.0.1:${port}`, received };
}

const success = (signal: Signal): Buffer => Buffer.from(encodeExportResponse(signal, undefined, 'protobuf'));

const fastRetry = { initial_interval: '10ms', max_interval: '50ms', max_elapsed_time: '5s' };

function createExporter(config: Record<string, unknown>): { exporter: Exporter; telemetry: RecordingTelemetry } {
  const telemetry = recordingTelemetry();
  const exporter = otlpGrpcExporterFactory.create(
    { id: { type: 'otlp_grpc', name: 'jaeger' }, telemetry },
    otlpGrpcExporterFactory.configSchema.parse({
      retry_on_failure: fastRetry,
      sending_queue: { enabled: false },
      ...config,
    }),
  );
  cleanups.push(() => exporter.shutdown(AbortSignal.timeout(2000)));
  return { exporter, telemetry };
}

const host = { reportFatalError: () => undefined };
const labels = { exporter: 'otlp_grpc/jaeger' };

async function rejection(promise: Promise<unknown> | undefined): Promise<unknown> {
  return (promise ?? Promise.resolve()).then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('otlp_grpc config', () => {
  it('has the collector defaults and requires an endpoint', () => {
    expect(otlpGrpcExporterFactory.configSchema.parse({ endpoint: 'jaeger:4317' })).toMatchObject({
      compression: 'gzip',
      timeout: 5000,
      headers: {},
      tls: { insecure_skip_verify: false },
      sending_queue: { enabled: true, num_consumers: 10, queue_size: 1000 },
    });
    expect(otlpGrpcExporterFactory.configSchema.safeParse({}).error?.issues[0]?.path).toEqual(['endpoint']);
  });

  it('uses TLS unless told otherwise', () => {
    expect(resolveGrpcTarget('jaeger:4317', undefined)).toEqual({ target: 'jaeger:4317', secure: true });
    expect(resolveGrpcTarget('jaeger:4317', true)).toEqual({ target: 'jaeger:4317', secure: false });
    expect(resolveGrpcTarget('http://jaeger:4317', undefined)).toEqual({ target: 'jaeger:4317', secure: false });
    expect(resolveGrpcTarget('https://api.honeycomb.io', undefined)).toEqual({
      target: 'api.honeycomb.io:443',
      secure: true,
    });
    expect(resolveGrpcTarget('https://collector:4317', true)).toEqual({ target: 'collector:4317', secure: false });
  });
});

describe('otlp_grpc exporter against a real server', () => {
  it('exports traces and logs with metadata', async () => {
    const server = await startServer((call) => success(call.signal));
    const { exporter, telemetry } = createExporter({
      endpoint: server.endpoint,
      tls: { insecure: true },
      headers: { 'x-honeycomb-team': 'secret-key' },
    });
    await exporter.start(host);
    const traces = sampleTraces(2);
    const logs = sampleLogs(2);
    await exporter.consumeTraces?.(traces);
    await exporter.consumeLogs?.(logs);
    expect(server.received.map((call) => call.signal)).toEqual(['traces', 'logs']);
    expect(server.received[0]?.metadata.get('x-honeycomb-team')).toEqual(['secret-key']);
    expect(decodeTraces(server.received[0]?.body ?? Buffer.alloc(0), 'protobuf')).toEqual(traces);
    expect(decodeLogs(server.received[1]?.body ?? Buffer.alloc(0), 'protobuf')).toEqual(logs);
    expect(telemetry.counter('otelcol_exporter_sent_spans', labels)).toBe(2);
    expect(telemetry.counter('otelcol_exporter_sent_log_records', labels)).toBe(2);
  });

  it('exports without compression too', async () => {
    const server = await startServer((call) => success(call.signal));
    const { exporter } = createExporter({ endpoint: `http://${server.endpoint}`, compression: 'none' });
    await exporter.consumeTraces?.(sampleTraces(1));
    expect(server.received).toHaveLength(1);
  });

  it('retries UNAVAILABLE after the RetryInfo delay', async () => {
    const server = await startServer((call, index) =>
      index < 2 ? { code: status.UNAVAILABLE, details: 'busy', retryDelayMs: 120 } : success(call.signal),
    );
    const { exporter, telemetry } = createExporter({ endpoint: server.endpoint, tls: { insecure: true } });
    await exporter.consumeTraces?.(sampleTraces(1));
    expect(server.received).toHaveLength(3);
    const retries = telemetry.logs.filter((entry) => entry.message.includes('Will retry'));
    expect(retries.map((entry) => entry.fields.interval)).toEqual(['120ms', '120ms']);
    expect(retries[0]?.fields.error).toContain('UNAVAILABLE');
  });

  it('retries RESOURCE_EXHAUSTED only with RetryInfo', async () => {
    const withInfo = await startServer((call, index) =>
      index === 0
        ? { code: status.RESOURCE_EXHAUSTED, details: 'rate limited', retryDelayMs: 20 }
        : success(call.signal),
    );
    await createExporter({ endpoint: withInfo.endpoint, tls: { insecure: true } }).exporter.consumeTraces?.(
      sampleTraces(1),
    );
    expect(withInfo.received).toHaveLength(2);

    const withoutInfo = await startServer(() => ({ code: status.RESOURCE_EXHAUSTED, details: 'too big' }));
    const error = await rejection(
      createExporter({ endpoint: withoutInfo.endpoint, tls: { insecure: true } }).exporter.consumeTraces?.(
        sampleTraces(1),
      ),
    );
    expect(error).toBeInstanceOf(PermanentError);
    expect(withoutInfo.received).toHaveLength(1);
  });

  it('does not retry INVALID_ARGUMENT', async () => {
    const server = await startServer(() => ({ code: status.INVALID_ARGUMENT, details: 'bad span id' }));
    const { exporter, telemetry } = createExporter({ endpoint: server.endpoint, tls: { insecure: true } });
    const error = await rejection(exporter.consumeTraces?.(sampleTraces(2)));
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as PermanentError).badData).toBe(true);
    expect((error as Error).message).toContain('bad span id');
    expect(server.received).toHaveLength(1);
    expect(telemetry.counter('otelcol_exporter_send_failed_spans', labels)).toBe(2);
  });

  it('logs a partial success and does not retry it', async () => {
    const server = await startServer(() =>
      Buffer.from(encodeExportResponse('traces', { rejected: 2, errorMessage: 'dropped 2' }, 'protobuf')),
    );
    const { exporter, telemetry } = createExporter({ endpoint: server.endpoint, tls: { insecure: true } });
    await exporter.consumeTraces?.(sampleTraces(3));
    expect(server.received).toHaveLength(1);
    expect(telemetry.logs.find((entry) => entry.level === 'warn')?.fields).toMatchObject({
      message: 'dropped 2',
      dropped_spans: 2,
    });
    expect(telemetry.counter('otelcol_exporter_sent_spans', labels)).toBe(1);
  });

  it('counts an OK with an unparseable response as sent and warns', async () => {
    const server = await startServer(() => Buffer.from('<html>not a response</html>'));
    const { exporter, telemetry } = createExporter({ endpoint: server.endpoint, tls: { insecure: true } });
    await exporter.consumeTraces?.(sampleTraces(3));
    expect(server.received).toHaveLength(1);
    expect(telemetry.counter('otelcol_exporter_sent_spans', labels)).toBe(3);
    expect(telemetry.counter('otelcol_exporter_send_failed_spans', labels)).toBe(0);
    const warning = telemetry.logs.find((entry) => entry.level === 'warn');
    expect(warning?.message).toMatch(/^gRPC OK with a response that cannot be parsed; the data counts as delivered/);
    expect(warning?.fields).toMatchObject({ signal: 'traces', target: server.endpoint });
  });

  it('retries while nothing listens, as UNAVAILABLE', async () => {
    const { exporter } = createExporter({
      endpoint: '127.0.0.1:1',
      tls: { insecure: true },
      retry_on_failure: { enabled: false },
    });
    const error = await rejection(exporter.consumeTraces?.(sampleTraces(1)));
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as Error).message).toContain('UNAVAILABLE');
  });
});

describe.skipIf(!opensslAvailable())('otlp_grpc exporter over TLS', () => {
  let certificate: SelfSignedCertificate;
  beforeAll(() => {
    certificate = createSelfSignedCertificate();
  });

  it('trusts a server signed by ca_file', async () => {
    const server = await startServer((call) => success(call.signal), certificate);
    const { exporter } = createExporter({ endpoint: server.endpoint, tls: { ca_file: certificate.certFile } });
    await exporter.start(host);
    await exporter.consumeTraces?.(sampleTraces(1));
    expect(server.received).toHaveLength(1);
  });

  it('refuses the self-signed certificate without ca_file', async () => {
    const server = await startServer((call) => success(call.signal), certificate);
    const { exporter } = createExporter({ endpoint: server.endpoint, retry_on_failure: { enabled: false } });
    const error = await rejection(exporter.consumeTraces?.(sampleTraces(1)));
    expect(error).toBeInstanceOf(RetryableError);
    expect(server.received).toHaveLength(0);
  });
});
