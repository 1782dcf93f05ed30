import { gzipSync } from 'node:zlib';
import { Client, credentials, Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { decodeRpcStatus, encodeTraces, grpcExportPaths } from '@semtel/otlp';
import { afterEach, describe, expect, it } from 'vitest';
import { InFlightBytes } from './in-flight-bytes.js';
import type { OtlpReceiver } from './otlp-receiver.js';
import { otlpReceiverFactory } from './otlp-receiver-factory.js';
import { RecordingConsumer, recordingTelemetry, sampleTraces, sendHttp } from './test-support.js';

describe('InFlightBytes', () => {
  it('admits reservations while they fit and gives the bytes back on release, once', () => {
    const budget = new InFlightBytes(100);
    const first = budget.open();
    const second = budget.open();
    expect(first.tryGrow(60)).toBe(true);
    expect(second.tryGrow(50)).toBe(false);
    expect(second.held).toBe(0);
    expect(second.tryGrow(40)).toBe(true);
    expect(budget.used).toBe(100);
    expect(budget.full).toBe(true);
    expect(second.room()).toBe(0);
    first.release();
    first.release();
    expect(budget.used).toBe(40);
    expect(budget.full).toBe(false);
    second.release();
    expect(budget.used).toBe(0);
  });

  it('lets a request that is alone exceed the limit, so no request is refused forever', () => {
    const budget = new InFlightBytes(100);
    const alone = budget.open();
    expect(alone.room()).toBe(Number.POSITIVE_INFINITY);
    expect(alone.tryGrow(150)).toBe(true);
    expect(alone.tryGrow(150)).toBe(true);
    const other = budget.open();
    expect(other.tryGrow(1)).toBe(false);
    alone.release();
    expect(other.tryGrow(1)).toBe(true);
    expect(alone.tryGrow(1)).toBe(false);
  });
});

/** A single span whose attribute makes the request about 600 KB. */
const largeBody = (): Uint8Array => encodeTraces(sampleTraces(1, 'x'.repeat(600_000)), 'protobuf');
const smallBody = (): Uint8Array => encodeTraces(sampleTraces(1), 'protobuf');

let receiver: OtlpReceiver | undefined;
let consumer: RecordingConsumer;
let releaseHeld: () => void = () => undefined;
const clients: Client[] = [];

/** A receiver with a 1 MiB in-flight bound (unless told) whose pipeline holds every request until released. */
async function startHoldingReceiver(
  requestLimitMib = 1,
  grpc: Record<string, unknown> = {},
): Promise<{ http: string; grpc: string }> {
  consumer = new RecordingConsumer();
  const held = new Promise<void>((resolve) => (releaseHeld = resolve));
  consumer.behaviour = () => held;
  const config = otlpReceiverFactory.configSchema.parse({
    admission: { request_limit_mib: requestLimitMib },
    protocols: { http: { endpoint: '127.0.0.1:0' }, grpc: { endpoint: '127.0.0.1:0', ...grpc } },
  });
  receiver = otlpReceiverFactory.create(
    { id: { type: 'otlp', name: '' }, telemetry: recordingTelemetry().telemetry },
    config,
    { traces: consumer },
  );
  await receiver.start({ reportFatalError: () => undefined });
  const addresses = receiver.addresses();
  return { http: `http://${addresses.http ?? ''}/v1/traces`, grpc: addresses.grpc ?? '' };
}

afterEach(async () => {
  releaseHeld();
  for (const client of clients.splice(0)) client.close();
  await receiver?.shutdown();
  receiver = undefined;
});

async function waitForCalls(count: number): Promise<void> {
  for (let round = 0; round < 400 && consumer.calls() < count; round += 1) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  expect(consumer.calls()).toBe(count);
}

const protobuf = { 'Content-Type': 'application/x-protobuf' };

function expectRetryableHttpRefusal(reply: { status: number; headers: Record<string, unknown>; body: Buffer }): void {
  expect(reply.status).toBe(503);
  expect(reply.headers['retry-after']).toBe('1');
  const status = decodeRpcStatus(new Uint8Array(reply.body), 'protobuf');
  expect(status.code).toBe(GrpcStatus.UNAVAILABLE);
  expect(status.retryDelayMs).toBe(1000);
  expect(status.message).toBe(
    'the receiver is already holding its limit of 1 MiB of requests in flight (admission.request_limit_mib); retry later',
  );
}

function grpcExport(address: string, body: Uint8Array): Promise<ServiceError | null> {
  const client = new Client(address, credentials.createInsecure());
  clients.push(client);
  return grpcExportOn(client, body);
}

function grpcExportOn(client: Client, body: Uint8Array): Promise<ServiceError | null> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      grpcExportPaths.traces,
      (value: Uint8Array) => Buffer.from(value),
      (bytes: Buffer) => bytes,
      body,
      new Metadata(),
      { deadline: Date.now() + 20_000 },
      (error) => resolve(error),
    );
  });
}

function expectRetryableGrpcRefusal(error: ServiceError | null): void {
  expect(error?.code).toBe(GrpcStatus.UNAVAILABLE);
  expect(error?.details).toContain('admission.request_limit_mib');
  const [details] = error?.metadata.get('grpc-status-details-bin') ?? [];
  expect(decodeRpcStatus(new Uint8Array(details as Buffer), 'protobuf').retryDelayMs).toBe(1000);
}

describe('the receiver bounds the request bytes in flight', () => {
  it('refuses HTTP requests that do not fit with 503 and Retry-After, then serves them once there is room', async () => {
    const { http } = await startHoldingReceiver();
    const first = sendHttp(http, { headers: protobuf, body: largeBody() });
    await waitForCalls(1);

    // Declared length: refused before the body is read.
    expectRetryableHttpRefusal(await sendHttp(http, { headers: protobuf, body: largeBody() }));
    // Chunked: refused once the bytes received stop fitting.
    const body = largeBody();
    const chunks = Array.from({ length: 10 }, (_, index) => body.subarray(index * 65_536, (index + 1) * 65_536));
    expectRetryableHttpRefusal(await sendHttp(http, { headers: protobuf, body: chunks }));
    // Small on the wire, too large once inflated into what is left.
    const inflated = await sendHttp(http, {
      headers: { ...protobuf, 'Content-Encoding': 'gzip' },
      body: gzipSync(largeBody()),
    });
    expectRetryableHttpRefusal(inflated);
    expect(consumer.calls()).toBe(1);

    releaseHeld();
    expect((await first).status).toBe(200);
    expect((await sendHttp(http, { headers: protobuf, body: largeBody() })).status).toBe(200);
  });

  it('refuses a request of unknown length before reading it while the bound is reached', async () => {
    const { http } = await startHoldingReceiver();
    // Alone, a request may exceed the bound; it then fills it.
    const first = sendHttp(http, { headers: protobuf, body: Buffer.concat([largeBody(), largeBody()]) });
    await waitForCalls(1);
    expectRetryableHttpRefusal(await sendHttp(http, { headers: protobuf, body: [smallBody()] }));
    releaseHeld();
    expect((await first).status).toBe(200);
  });

  it('refuses gRPC calls that do not fit with UNAVAILABLE and RetryInfo, sharing the bound with HTTP', async () => {
    const { http, grpc } = await startHoldingReceiver();
    const first = sendHttp(http, { headers: protobuf, body: largeBody() });
    await waitForCalls(1);
    expectRetryableGrpcRefusal(await grpcExport(grpc, largeBody()));
    releaseHeld();
    expect((await first).status).toBe(200);
    expect(await grpcExport(grpc, largeBody())).toBeNull();
  });

  it('refuses gRPC calls on their headers while the bound is reached', async () => {
    const { grpc } = await startHoldingReceiver();
    const first = grpcExport(grpc, Buffer.concat([largeBody(), largeBody()]));
    await waitForCalls(1);
    expectRetryableGrpcRefusal(await grpcExport(grpc, smallBody()));
    expect(consumer.calls()).toBe(1);
    releaseHeld();
    expect(await first).toBeNull();
  });

  it('still refuses on headers with the 16 MiB connection window, and refused bodies do not use it up', async () => {
    // A bound as large as the default connection window, so the window is not narrowed to it.
    const { grpc } = await startHoldingReceiver(16, { max_recv_msg_size_mib: 32 });
    const mebibyte = 1024 * 1024;
    const bodyOf = (mebibytes: number): Uint8Array =>
      encodeTraces(sampleTraces(1, 'x'.repeat(mebibytes * mebibyte)), 'protobuf');
    const client = new Client(grpc, credentials.createInsecure());
    clients.push(client);
    const first = grpcExportOn(client, bodyOf(17));
    await waitForCalls(1);
    // Each body is larger than the 1 MiB stream window, and together they are larger than the
    // connection window: were refused bytes left unread, the connection would stall here.
    for (let round = 0; round < 3; round += 1) expectRetryableGrpcRefusal(await grpcExportOn(client, bodyOf(8)));
    expect(consumer.calls()).toBe(1);
    releaseHeld();
    expect(await first).toBeNull();
    expect(await grpcExportOn(client, bodyOf(8))).toBeNull();
  });
});
