/**
 * Bad requests against a running semtel: each gets the right status with a message, nothing
 * reaches the backend, and the next good request still goes through.
 */
import { connect } from 'node:http2';
import { gzipSync } from 'node:zlib';
import { decodeRpcStatus, encodeTraces, grpcExportPaths } from '@semtel/otlp';
import { buildSmallSpan, buildTraces, OtlpSink } from '@semtel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SemtelProcess } from './support/semtel-process.js';
import { startSemtelProcess } from './support/semtel-process.js';

const maxBodyBytes = 1024 * 1024;

interface BadCase {
  name: string;
  method?: string;
  path?: string;
  headers: Record<string, string>;
  body?: () => Uint8Array | string;
  status: number;
  /** How the error body is encoded: an OTLP google.rpc.Status, or plain text. */
  bodyEncoding: 'protobuf' | 'json' | 'text';
}

const protobuf = { 'Content-Type': 'application/x-protobuf' };
const json = { 'Content-Type': 'application/json' };
const gzipProtobuf = { ...protobuf, 'Content-Encoding': 'gzip' };

const badCases: BadCase[] = [
  {
    name: 'malformed protobuf',
    headers: protobuf,
    body: () => new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]),
    status: 400,
    bodyEncoding: 'protobuf',
  },
  { name: 'malformed JSON', headers: json, body: () => '{"resourceSpans": [', status: 400, bodyEncoding: 'json' },
  {
    name: 'JSON of the wrong shape',
    headers: json,
    body: () => '{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "not-hex", "spanId": 7}]}]}]}',
    status: 400,
    bodyEncoding: 'json',
  },
  {
    name: 'wrong content type',
    headers: { 'Content-Type': 'text/plain' },
    body: () => 'hello',
    status: 415,
    bodyEncoding: 'text',
  },
  { name: 'wrong method', method: 'GET', headers: {}, status: 405, bodyEncoding: 'text' },
  {
    name: 'oversized body',
    headers: protobuf,
    body: () => encodeTraces(buildTraces(Array.from({ length: 4000 }, () => buildSmallSpan())), 'protobuf'),
    status: 413,
    bodyEncoding: 'protobuf',
  },
  {
    name: 'gzip bomb (small on the wire, 32 MiB inflated)',
    headers: gzipProtobuf,
    body: () => gzipSync(Buffer.alloc(32 * 1024 * 1024)),
    status: 413,
    bodyEncoding: 'protobuf',
  },
  {
    name: 'truncated gzip',
    headers: gzipProtobuf,
    body: () => gzipSync(encodeTraces(buildTraces([buildSmallSpan(), buildSmallSpan()]), 'protobuf')).subarray(0, 40),
    status: 400,
    bodyEncoding: 'protobuf',
  },
  {
    name: 'gzip header on a body that is not gzip',
    headers: gzipProtobuf,
    body: () => encodeTraces(buildTraces([buildSmallSpan()]), 'protobuf'),
    status: 400,
    bodyEncoding: 'protobuf',
  },
];

/** A raw gRPC unary call over HTTP/2, so a malformed message can be sent. */
async function rawGrpcCall(
  address: string,
  path: string,
  message: Uint8Array,
): Promise<{ status: string; message: string }> {
  const session = connect(`http://${address}`);
  try {
    return await new Promise((resolve, reject) => {
      session.once('error', reject);
      const stream = session.request({
        ':method': 'POST',
        ':path': path,
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      stream.setTimeout(5000, () => stream.close());
      const frame = Buffer.alloc(5 + message.length);
      frame.writeUInt32BE(message.length, 1);
      frame.set(message, 5);
      let headersStatus: { status: string; message: string } | undefined;
      stream.on('response', (headers) => {
        // A trailers-only response puts grpc-status in the headers.
        if (headers['grpc-status'] !== undefined) {
          headersStatus = { status: String(headers['grpc-status']), message: String(headers['grpc-message'] ?? '') };
        }
      });
      stream.on('trailers', (trailers) =>
        resolve({
          status: String(trailers['grpc-status']),
          message: decodeURIComponent(String(trailers['grpc-message'] ?? '')),
        }),
      );
      stream.on('close', () =>
        headersStatus ? resolve(headersStatus) : reject(new Error('stream closed without status')),
      );
      stream.on('data', () => {});
      stream.end(frame);
    });
  } finally {
    session.close();
  }
}

describe('semtel rejects bad input and keeps serving', () => {
  let backend: OtlpSink;
  let semtel: SemtelProcess;
  let goodRequests = 0;

  beforeAll(async () => {
    backend = await OtlpSink.start();
    semtel = await startSemtelProcess({
      httpReceiverExtraYaml: `max_request_body_size: ${maxBodyBytes}`,
      exportersYaml: `
        otlp_http:
          endpoint: ${backend.httpEndpoint}
          retry_on_failure: { initial_interval: 100ms, max_interval: 1s, max_elapsed_time: 20s }`,
      pipelinesYaml: `
        traces: { receivers: [otlp], exporters: [otlp_http] }
        logs: { receivers: [otlp], exporters: [otlp_http] }`,
    });
  });

  afterAll(async () => {
    await semtel?.stop();
    await backend?.close();
  });

  async function expectGoodRequestDelivered(): Promise<void> {
    const traces = buildTraces([buildSmallSpan(), buildSmallSpan()]);
    const response = await fetch(`${semtel.httpEndpoint}/v1/traces`, {
      method: 'POST',
      headers: protobuf,
      body: encodeTraces(traces, 'protobuf'),
      signal: AbortSignal.timeout(10_000),
    });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    goodRequests += 1;
    const spans = await backend.waitForSpans(goodRequests * 2, 15_000);
    const sentIds = traces.resourceSpans[0]?.scopeSpans[0]?.spans.map((span) => span.spanId);
    expect(
      spans
        .slice(-2)
        .map((entry) => entry.span.spanId)
        .sort(),
    ).toEqual(sentIds?.sort());
  }

  it('accepts a good request before anything else', async () => {
    await expectGoodRequestDelivered();
  });

  it.each(badCases)('answers $name with $status and a message', async (badCase) => {
    const response = await fetch(`${semtel.httpEndpoint}${badCase.path ?? '/v1/traces'}`, {
      method: badCase.method ?? 'POST',
      headers: badCase.headers,
      body: badCase.body?.(),
      signal: AbortSignal.timeout(10_000),
    });
    expect(response.status).toBe(badCase.status);
    const body = new Uint8Array(await response.arrayBuffer());
    const message =
      badCase.bodyEncoding === 'text'
        ? new TextDecoder().decode(body)
        : decodeRpcStatus(body, badCase.bodyEncoding).message;
    expect(message.trim().length, `message for ${badCase.name}`).toBeGreaterThan(0);
    await expectGoodRequestDelivered();
    // Only the good requests ever reached the backend.
    expect(backend.spanCount).toBe(goodRequests * 2);
  });

  it('answers a malformed gRPC message with INVALID_ARGUMENT and keeps serving', async () => {
    const result = await rawGrpcCall(semtel.grpcEndpoint, grpcExportPaths.traces, new Uint8Array([0x0a, 0xff, 0xff]));
    expect(result.status).toBe('3');
    expect(result.message.length).toBeGreaterThan(0);
    await expectGoodRequestDelivered();
  });
});
