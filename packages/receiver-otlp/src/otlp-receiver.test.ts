import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { noopTelemetry } from '@semtel/component';
import type { NextConsumers } from '@semtel/component';
import { encodeTraces, grpcExportPaths } from '@semtel/otlp';
import { afterEach, describe, expect, it } from 'vitest';
import type { OtlpReceiver } from './otlp-receiver.js';
import { otlpReceiverFactory } from './otlp-receiver-factory.js';
import { RecordingConsumer, sampleTraces, sendHttp } from './test-support.js';

const host = { reportFatalError: () => undefined };
const cleanUps: (() => Promise<void>)[] = [];

function createReceiver(protocols: Record<string, unknown>, next: NextConsumers = {}): OtlpReceiver {
  const config = otlpReceiverFactory.configSchema.parse({ protocols });
  const receiver = otlpReceiverFactory.create(
    { id: { type: 'otlp', name: '' }, telemetry: noopTelemetry },
    config,
    next,
  );
  cleanUps.push(() => receiver.shutdown());
  return receiver;
}

async function occupyPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanUps.push(() => new Promise((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

/** A consumer that holds each call until the test releases it. */
function gatedConsumer() {
  const consumer = new RecordingConsumer();
  let release: () => void = () => undefined;
  let entered: () => void = () => undefined;
  const enteredPromise = new Promise<void>((resolve) => (entered = resolve));
  consumer.behaviour = () =>
    new Promise<void>((resolve) => {
      release = resolve;
      entered();
    });
  return { consumer, entered: enteredPromise, release: () => release() };
}

afterEach(async () => {
  for (const cleanUp of cleanUps.splice(0).reverse()) await cleanUp();
});

describe('OtlpReceiver lifecycle', () => {
  it('describes itself as the otlp receiver factory for every signal', () => {
    expect(otlpReceiverFactory.type).toBe('otlp');
    expect(otlpReceiverFactory.signals).toEqual(['traces', 'logs', 'metrics']);
  });

  it('listens on both protocols and reports the bound addresses', async () => {
    const receiver = createReceiver({ grpc: { endpoint: '127.0.0.1:0' }, http: { endpoint: '127.0.0.1:0' } });
    expect(receiver.addresses()).toEqual({});
    await receiver.start(host);
    const { http, grpc } = receiver.addresses();
    expect(http).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
    expect(grpc).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
  });

  it('fails to start with a clear error when the HTTP port is taken', async () => {
    const port = await occupyPort();
    const receiver = createReceiver({ http: { endpoint: `127.0.0.1:${port}` } });
    await expect(receiver.start(host)).rejects.toThrow(
      `cannot listen for OTLP/HTTP on 127.0.0.1:${port}: the address is already in use`,
    );
  });

  it('fails to start when the gRPC port is taken and releases the HTTP port it bound', async () => {
    const port = await occupyPort();
    const receiver = createReceiver({ http: { endpoint: '127.0.0.1:0' }, grpc: { endpoint: `127.0.0.1:${port}` } });
    await expect(receiver.start(host)).rejects.toThrow(
      `cannot listen for OTLP/gRPC on 127.0.0.1:${port}: the address is already in use`,
    );
    const httpAddress = receiver.addresses().http ?? '';
    await expect(sendHttp(`http://${httpAddress}/v1/traces`, { body: new Uint8Array() })).rejects.toThrow(
      /ECONNREFUSED/,
    );
    await receiver.shutdown();
  });

  it('shuts down safely before start, twice, and refuses to start afterwards', async () => {
    const receiver = createReceiver({ http: { endpoint: '127.0.0.1:0' }, grpc: { endpoint: '127.0.0.1:0' } });
    await receiver.shutdown();
    await receiver.shutdown();
    await expect(receiver.start(host)).rejects.toThrow('the OTLP receiver was already shut down');
    const started = createReceiver({ http: { endpoint: '127.0.0.1:0' }, grpc: { endpoint: '127.0.0.1:0' } });
    await started.start(host);
    await Promise.all([started.shutdown(), started.shutdown()]);
    await started.shutdown();
  });

  it('lets an in-flight HTTP request finish during shutdown, then stops accepting', async () => {
    const gate = gatedConsumer();
    const receiver = createReceiver({ http: { endpoint: '127.0.0.1:0' } }, { traces: gate.consumer });
    await receiver.start(host);
    const url = `http://${receiver.addresses().http ?? ''}/v1/traces`;
    const headers = { 'Content-Type': 'application/x-protobuf' };
    const inFlight = sendHttp(url, { headers, body: encodeTraces(sampleTraces(1), 'protobuf') });
    await gate.entered;
    const shutdown = receiver.shutdown();
    await expect(sendHttp(url, { headers, body: new Uint8Array() })).rejects.toThrow(/ECONNREFUSED/);
    gate.release();
    expect((await inFlight).status).toBe(200);
    await shutdown;
    expect(gate.consumer.traces).toHaveLength(1);
  });

  it('closes a stuck HTTP request when the shutdown deadline passes', async () => {
    const gate = gatedConsumer();
    const receiver = createReceiver({ http: { endpoint: '127.0.0.1:0' } }, { traces: gate.consumer });
    await receiver.start(host);
    const url = `http://${receiver.addresses().http ?? ''}/v1/traces`;
    const inFlight = sendHttp(url, {
      headers: { 'Content-Type': 'application/x-protobuf' },
      body: encodeTraces(sampleTraces(1), 'protobuf'),
    });
    inFlight.catch(() => undefined);
    await gate.entered;
    const deadline = new AbortController();
    const shutdown = receiver.shutdown(deadline.signal);
    deadline.abort();
    await shutdown;
    await expect(inFlight).rejects.toThrow(/socket hang up|ECONNRESET/);
    gate.release();
  });

  it('lets an in-flight gRPC call finish during shutdown', async () => {
    const gate = gatedConsumer();
    const receiver = createReceiver({ grpc: { endpoint: '127.0.0.1:0' } }, { traces: gate.consumer });
    await receiver.start(host);
    const client = new Client(receiver.addresses().grpc ?? '', credentials.createInsecure());
    cleanUps.push(() => Promise.resolve(client.close()));
    const call = new Promise<ServiceError | null>((resolve) => {
      client.makeUnaryRequest(
        grpcExportPaths.traces,
        (value: Uint8Array) => Buffer.from(value),
        (bytes: Buffer) => bytes,
        encodeTraces(sampleTraces(1), 'protobuf'),
        new Metadata(),
        { deadline: Date.now() + 20_000 },
        (error) => resolve(error),
      );
    });
    await gate.entered;
    const shutdown = receiver.shutdown();
    gate.release();
    expect(await call).toBeNull();
    await shutdown;
    expect(gate.consumer.traces).toHaveLength(1);
  });
});
