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

/** A protobuf length-delimited field: tag, length, bytes. */
function field(number: number, bytes: Uint8Array): Buffer {
  const varint = (value: number): number[] => {
    const out: number[] = [];
    for (let rest = value; ; rest = Math.floor(rest / 128)) {
      if (rest < 128) {
        out.push(rest);
        return out;
      }
      out.push((rest % 128) | 128);
    }
  };
  return Buffer.concat([Buffer.from([...varint((number << 3) | 2), ...varint(bytes.length)]), bytes]);
}

/**
 * An ExportTraceServiceRequest whose span attribute nests `levels` arrays, written by hand the
 * way a sender in another language could, since protobufjs refuses to encode it.
 */
function deeplyNestedProtobuf(levels: number): Buffer {
  let anyValue = field(1, Buffer.from('leaf')); // AnyValue.string_value
  for (let level = 0; level < levels; level++) anyValue = field(5, field(1, anyValue)); // array_value.values
  const keyValue = Buffer.concat([field(1, Buffer.from('deep')), field(2, anyValue)]);
  const span = Buffer.concat([
    field(1, Buffer.alloc(16, 1)),
    field(2, Buffer.alloc(8, 2)),
    field(5, Buffer.from('deep span')),
    field(9, keyValue),
  ]);
  return field(1, field(2, field(2, span))); // resource_spans.scope_spans.spans
}

function deeplyNestedJson(levels: number): string {
  let value: unknown = { stringValue: 'leaf' };
  for (let level = 0; level < levels; level++) value = { arrayValue: { values: [value] } };
  return JSON.stringify({
    resourceSpans: [
      {
        scopeSpans: [
          {
            spans: [
              {
                traceId: '01'.repeat(16),
                spanId: '02'.repeat(8),
                name: 'deep span',
                attributes: [{ key: 'deep', value }],
              },
            ],
          },
        ],
      },
    ],
  });
}

/** A valid request whose span name is then made invalid UTF-8. */
function invalidUtf8Protobuf(): Buffer {
  const traces = buildTraces([buildSmallSpan()]);
  const span = traces.resourceSpans[0]?.scopeSpans[0]?.spans[0];
  if (span) span.name = 'NAME-TO-CORRUPT';
  const body = Buffer.from(encodeTraces(traces, 'protobuf'));
  body.set([0xc3, 0x28], body.indexOf('NAME-TO-CORRUPT'));
  return body;
}

interface BadCase {
  name: string;
  /** Part of the message the sender needs to fix the request. */
  messageContains?: string;
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
    // Accepted, it would be dropped at export: protobuf cannot encode it.
    name: 'JSON nested deeper than protobuf can encode',
    headers: json,
    body: () => deeplyNestedJson(60),
    status: 400,
    bodyEncoding: 'json',
    messageContains: 'resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.arrayValue',
  },
  {
    name: 'protobuf nested deeper than protobuf can encode',
    headers: protobuf,
    body: () => deeplyNestedProtobuf(60),
    status: 400,
    bodyEncoding: 'protobuf',
    messageContains: 'messages nested more than 100 deep',
  },
  {
    name: 'protobuf with a string that is not valid UTF-8',
    headers: protobuf,
    body: invalidUtf8Protobuf,
    status: 400,
    bodyEncoding: 'protobuf',
    messageContains: 'utf-8',
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
          headersStatus = {
            status: String(headers['grpc-status']),
            message: decodeURIComponent(String(headers['grpc-message'] ?? '')),
          };
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
  /** Spans the backend should have received so far. */
  let expectedSpans = 0;

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
    expectedSpans += 2;
    const spans = await backend.waitForSpans(expectedSpans, 15_000);
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
    if (badCase.messageContains !== undefined) expect(message).toContain(badCase.messageContains);
    await expectGoodRequestDelivered();
    // Only the good requests ever reached the backend.
    expect(backend.spanCount).toBe(expectedSpans);
  });

  it('accepts nesting up to the limit and delivers it', async () => {
    const response = await fetch(`${semtel.httpEndpoint}/v1/traces`, {
      method: 'POST',
      headers: json,
      body: deeplyNestedJson(47),
      signal: AbortSignal.timeout(10_000),
    });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    expectedSpans += 1;
    const spans = await backend.waitForSpans(expectedSpans, 15_000);
    expect(spans.at(-1)?.span.name).toBe('deep span');
    await expectGoodRequestDelivered();
  });

  it.each([
    { name: 'nested deeper than protobuf can encode', body: () => deeplyNestedProtobuf(60), contains: 'nested more' },
    { name: 'not valid UTF-8', body: invalidUtf8Protobuf, contains: 'utf-8' },
  ])('answers a gRPC message $name with INVALID_ARGUMENT and keeps serving', async ({ body, contains }) => {
    const result = await rawGrpcCall(semtel.grpcEndpoint, grpcExportPaths.traces, body());
    expect(result.status).toBe('3');
    expect(result.message).toContain(contains);
    await expectGoodRequestDelivered();
    expect(backend.spanCount).toBe(expectedSpans);
  });

  it('answers a malformed gRPC message with INVALID_ARGUMENT and keeps serving', async () => {
    const result = await rawGrpcCall(semtel.grpcEndpoint, grpcExportPaths.traces, new Uint8Array([0x0a, 0xff, 0xff]));
    expect(result.status).toBe('3');
    expect(result.message.length).toBeGreaterThan(0);
    await expectGoodRequestDelivered();
  });
});
