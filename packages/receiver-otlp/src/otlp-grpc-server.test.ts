import { connect as http2Connect } from 'node:http2';
import type { ClientHttp2Session } from 'node:http2';
import { Client, credentials, Metadata, Server, status as GrpcStatus } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { noopLogger, PermanentError, RetryableError } from '@semtel/component';
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
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { OtlpReceiver } from './otlp-receiver.js';
import { otlpReceiverFactory } from './otlp-receiver-factory.js';
import type { RecordingMeter } from './test-support.js';
import { RecordingConsumer, recordingTelemetry, sampleLogs, sampleMetricsJson, sampleTraces } from './test-support.js';

const gzip = 2; // grpc-js compressionAlgorithms.gzip

let receiver: OtlpReceiver | undefined;
let consumer: RecordingConsumer;
let meter: RecordingMeter;
const clients: Client[] = [];

async function startReceiver(
  grpc: Record<string, unknown> = {},
  consumers: Signal[] = ['traces', 'logs', 'metrics'],
  admission: Record<string, unknown> = {},
) {
  consumer = new RecordingConsumer();
  const telemetry = recordingTelemetry();
  meter = telemetry.meter;
  const config = otlpReceiverFactory.configSchema.parse({
    admission,
    protocols: { grpc: { endpoint: '127.0.0.1:0', ...grpc } },
  });
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

const sessions: ClientHttp2Session[] = [];

/** A raw HTTP/2 connection, once the server's SETTINGS and its connection WINDOW_UPDATE have arrived. */
async function connectHttp2(address: string): Promise<ClientHttp2Session> {
  const session = http2Connect(`http://${address}`);
  sessions.push(session);
  await new Promise((resolve) => session.once('remoteSettings', resolve));
  // The server wrote its WINDOW_UPDATE before it could answer this PING.
  await new Promise<void>((resolve, reject) => session.ping((error) => (error ? reject(error) : resolve())));
  return session;
}

afterEach(async () => {
  for (const session of sessions.splice(0)) session.destroy();
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

describe('OTLP/gRPC HTTP/2 windows', () => {
  const mebibyte = 1024 * 1024;

  it("advertises a 1 MiB stream window and opens a 16 MiB connection window, not Node's 64 KiB", async () => {
    const session = await connectHttp2(await startReceiver());
    expect(session.remoteSettings.initialWindowSize).toBe(mebibyte);
    expect(session.state.remoteWindowSize).toBe(16 * mebibyte);
    // Still a working gRPC server with the windows in place.
    await expectStillServing(connect(receiver?.addresses().grpc ?? '', false));
  });

  it('takes the configured windows', async () => {
    const session = await connectHttp2(await startReceiver({ stream_window_mib: 0.25, connection_window_mib: 4 }));
    expect(session.remoteSettings.initialWindowSize).toBe(mebibyte / 4);
    expect(session.state.remoteWindowSize).toBe(4 * mebibyte);
  });

  it('never opens a connection window above admission.request_limit_mib, nor a stream window above that', async () => {
    const address = await startReceiver({ stream_window_mib: 8, connection_window_mib: 32 }, undefined, {
      request_limit_mib: 2,
    });
    const session = await connectHttp2(address);
    expect(session.state.remoteWindowSize).toBe(2 * mebibyte);
    expect(session.remoteSettings.initialWindowSize).toBe(2 * mebibyte);
  });

  it('keeps the default windows, logs why at warn and still serves when grpc-js internals differ', async () => {
    // Stands for a grpc-js whose createHttp2Server cannot be replaced on an instance.
    const prototype = Server.prototype as unknown as Record<string, unknown>;
    const original = Object.getOwnPropertyDescriptor(prototype, 'createHttp2Server');
    expect(typeof original?.value).toBe('function');
    Object.defineProperty(prototype, 'createHttp2Server', { get: () => original?.value, configurable: true });
    const warn = vi.spyOn(noopLogger, 'warn');
    try {
      const address = await startReceiver();
      const session = await connectHttp2(address);
      expect(session.remoteSettings.initialWindowSize).toBe(65_535);
      await expectStillServing(connect(address, false));
      expect(warn).toHaveBeenCalledWith(
        { transport: 'grpc', reason: expect.stringMatching(/^cannot wrap grpc-js Server.createHttp2Server: /) },
        "OTLP/gRPC receiver keeps HTTP/2's default 64 KiB windows: grpc-js internals differ from 1.14",
      );
    } finally {
      warn.mockRestore();
      if (original !== undefined) Object.defineProperty(prototype, 'createHttp2Server', original);
    }
  });
});
