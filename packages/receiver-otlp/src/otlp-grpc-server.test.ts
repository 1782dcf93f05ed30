import { Client, credentials, Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { PermanentError, RetryableError } from '@semtel/component';
import type { Signal } from '@semtel/component';
import {
  decodeExportResponse,
  decodeMetrics,
  decodeRpcStatus,
  encodeLogs,
  encodeMetrics,
  encodeTraces,
  grpcExportPaths,
} from '@semtel/otlp';
import { afterEach, describe, expect, it } from 'vitest';
import type { OtlpReceiver } from './otlp-receiver.js';
import { otlpReceiverFactory } from './otlp-receiver-factory.js';
import type { RecordingMeter } from './test-support.js';
import { RecordingConsumer, recordingTelemetry, sampleLogs, sampleMetricsJson, sampleTraces } from './test-support.js';

const gzip = 2; // grpc-js compressionAlgorithms.gzip

let receiver: OtlpReceiver | undefined;
let consumer: RecordingConsumer;
let meter: RecordingMeter;
const clients: Client[] = [];

async function startReceiver(grpc: Record<string, unknown> = {}, consumers: Signal[] = ['traces', 'logs', 'metrics']) {
  consumer = new RecordingConsumer();
  const telemetry = recordingTelemetry();
  meter = telemetry.meter;
  const config = otlpReceiverFactory.configSchema.parse({ protocols: { grpc: { endpoint: '127.0.0.1:0', ...grpc } } });
  const next = Object.fromEntries(consumers.map((signal) => [signal, consumer]));
  receiver = otlpReceiverFactory.create(
    { id: { type: 'otlp', name: 'in' }, telemetry: telemetry.telemetry },
    config,
    next,
  );
  await receiver.start({ reportFatalError: () => undefined });
  return receiver.addresses().grpc ?? '';
}

function connect(address: string, compressed: boolean): Client {
  const client = new Client(
    address,
    credentials.createInsecure(),
    compressed ? { 'grpc.default_compression_algorithm': gzip } : {},
  );
  clients.push(client);
  return client;
}

interface CallResult {
  error: ServiceError | null;
  response: Buffer | undefined;
}

function exportCall(client: Client, signal: Signal, body: Uint8Array): Promise<CallResult> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      grpcExportPaths[signal],
      (value: Uint8Array) => Buffer.from(value),
      (bytes: Buffer) => bytes,
      body,
      new Metadata(),
      { deadline: Date.now() + 20_000 },
      (error, response) => resolve({ error, response }),
    );
  });
}

async function expectStillServing(client: Client): Promise<void> {
  const before = consumer.traces.length;
  const result = await exportCall(client, 'traces', encodeTraces(sampleTraces(1), 'protobuf'));
  expect(result.error).toBeNull();
  expect(consumer.traces.length).toBe(before + 1);
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await receiver?.shutdown();
  receiver = undefined;
});

describe.each([
  { compressed: false, name: 'uncompressed' },
  { compressed: true, name: 'gzip' },
])('OTLP/gRPC, $name', ({ compressed }) => {
  it('exports traces, logs and metrics and counts them', async () => {
    const client = connect(await startReceiver(), compressed);
    const traces = sampleTraces(3);
    const tracesResult = await exportCall(client, 'traces', encodeTraces(traces, 'protobuf'));
    expect(tracesResult.error).toBeNull();
    expect(decodeExportResponse('traces', new Uint8Array(tracesResult.response ?? []), 'protobuf')).toBeUndefined();
    expect(consumer.traces[0]).toEqual(traces);

    const logs = sampleLogs(2);
    expect((await exportCall(client, 'logs', encodeLogs(logs, 'protobuf'))).error).toBeNull();
    expect(consumer.logs[0]).toEqual(logs);

    const metrics = encodeMetrics(decodeMetrics(new TextEncoder().encode(sampleMetricsJson), 'json'), 'protobuf');
    expect((await exportCall(client, 'metrics', metrics)).error).toBeNull();
    expect(consumer.metrics[0]?.dataPointCount).toBe(2);

    const labels = { receiver: 'otlp/in', transport: 'grpc' };
    expect(meter.total('otelcol_receiver_accepted_spans', labels)).toBe(3);
    expect(meter.total('otelcol_receiver_accepted_log_records', labels)).toBe(2);
    expect(meter.total('otelcol_receiver_accepted_metric_points', labels)).toBe(2);
  });

  it('answers an empty request with success without calling the pipeline', async () => {
    const client = connect(await startReceiver(), compressed);
    const result = await exportCall(client, 'traces', new Uint8Array());
    expect(result.error).toBeNull();
    expect(consumer.calls()).toBe(0);
  });

  it('answers an undecodable request with INVALID_ARGUMENT and the codec message', async () => {
    const client = connect(await startReceiver(), compressed);
    const result = await exportCall(client, 'traces', Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]));
    expect(result.error?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(result.error?.details).toMatch(/^cannot decode the traces request: .+/);
    expect(consumer.calls()).toBe(0);
    await expectStillServing(client);
  });

  it('answers a message over max_recv_msg_size_mib with RESOURCE_EXHAUSTED', async () => {
    const client = connect(await startReceiver({ max_recv_msg_size_mib: 1 }), compressed);
    // Highly compressible: under gzip the frame is small and the limit must apply after decompression.
    const result = await exportCall(
      client,
      'traces',
      encodeTraces(sampleTraces(4, 'a'.repeat(512 * 1024)), 'protobuf'),
    );
    expect(result.error?.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(result.error?.details).toMatch(compressed ? /decompresses to a size larger than/ : /larger than max/);
    expect(consumer.calls()).toBe(0);
    await expectStillServing(client);
  });

  it('answers a RetryableError with UNAVAILABLE and RetryInfo in grpc-status-details-bin', async () => {
    const client = connect(await startReceiver(), compressed);
    consumer.behaviour = () => Promise.reject(new RetryableError('queue is full', { retryAfterMs: 2500 }));
    const result = await exportCall(client, 'traces', encodeTraces(sampleTraces(2), 'protobuf'));
    expect(result.error?.code).toBe(GrpcStatus.UNAVAILABLE);
    expect(result.error?.details).toBe('queue is full');
    const [details] = result.error?.metadata.get('grpc-status-details-bin') ?? [];
    expect(details).toBeInstanceOf(Buffer);
    expect(decodeRpcStatus(new Uint8Array(details as Buffer), 'protobuf')).toEqual({
      code: GrpcStatus.UNAVAILABLE,
      message: 'queue is full',
      retryDelayMs: 2500,
    });
    expect(meter.total('otelcol_receiver_refused_spans', { receiver: 'otlp/in', transport: 'grpc' })).toBe(2);
    consumer.behaviour = () => Promise.resolve();
    await expectStillServing(client);
  });

  it.each([
    {
      name: 'a RetryableError without a delay → UNAVAILABLE, RetryInfo 1 s',
      error: new RetryableError('busy'),
      code: GrpcStatus.UNAVAILABLE,
      retryDelayMs: 1000,
    },
    {
      name: 'a PermanentError with bad data → INVALID_ARGUMENT',
      error: new PermanentError('bad span', { badData: true }),
      code: GrpcStatus.INVALID_ARGUMENT,
      retryDelayMs: undefined,
    },
    {
      name: 'another PermanentError → INTERNAL',
      error: new PermanentError('misconfigured'),
      code: GrpcStatus.INTERNAL,
      retryDelayMs: undefined,
    },
    {
      name: 'an unknown error → UNAVAILABLE, RetryInfo 1 s',
      error: new Error('socket closed'),
      code: GrpcStatus.UNAVAILABLE,
      retryDelayMs: 1000,
    },
  ])('maps $name', async ({ error, code, retryDelayMs }) => {
    const client = connect(await startReceiver(), compressed);
    consumer.behaviour = () => Promise.reject(error);
    const result = await exportCall(client, 'logs', encodeLogs(sampleLogs(1), 'protobuf'));
    expect(result.error?.code).toBe(code);
    expect(result.error?.details).toContain(error.message);
    const [details] = result.error?.metadata.get('grpc-status-details-bin') ?? [];
    expect(decodeRpcStatus(new Uint8Array(details as Buffer), 'protobuf').retryDelayMs).toBe(retryDelayMs);
    consumer.behaviour = () => Promise.resolve();
    await expectStillServing(client);
  });

  it('answers UNIMPLEMENTED for a signal whose pipeline does not include the receiver', async () => {
    const client = connect(await startReceiver({}, ['traces']), compressed);
    const result = await exportCall(client, 'logs', encodeLogs(sampleLogs(1), 'protobuf'));
    expect(result.error?.code).toBe(GrpcStatus.UNIMPLEMENTED);
    await expectStillServing(client);
  });
});
