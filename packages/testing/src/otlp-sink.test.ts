import { connect as http2Connect } from 'node:http2';
import { gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { decodeRpcStatus, encodeLogs, encodeTraces, grpcExportPaths } from '@semtel/otlp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OtlpSink } from './otlp-sink.js';
import { buildLogRecord, buildLogs, buildMixedTraces, buildSmallSpan, buildTraces } from './span-builders.js';

const metricsJson = JSON.stringify({
  resourceMetrics: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'm' } }] },
      scopeMetrics: [
        {
          scope: { name: 'meter' },
          metrics: [
            {
              name: 'requests',
              sum: {
                aggregationTemporality: 2,
                isMonotonic: true,
                dataPoints: [
                  { asInt: '5', startTimeUnixNano: '1', timeUnixNano: '2' },
                  { asInt: '7', startTimeUnixNano: '1', timeUnixNano: '3' },
                ],
              },
            },
          ],
        },
      ],
    },
  ],
});

function post(
  sink: OtlpSink,
  path: string,
  body: Uint8Array | string,
  headers: Record<string, string> = { 'Content-Type': 'application/x-protobuf' },
  method = 'POST',
): Promise<Response> {
  return fetch(`${sink.httpEndpoint}${path}`, {
    method,
    headers,
    body: method === 'GET' ? undefined : body,
    signal: AbortSignal.timeout(5000),
  });
}

function grpcExport(
  sink: OtlpSink,
  path: string,
  body: Uint8Array,
): Promise<{ error: grpc.ServiceError | null; response: Buffer | undefined }> {
  const client = new grpc.Client(sink.grpcEndpoint, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      path,
      (value: Buffer) => value,
      (value: Buffer) => value,
      Buffer.from(body),
      new grpc.Metadata(),
      { deadline: Date.now() + 5000 },
      (error, response) => {
        client.close();
        resolve({ error, response });
      },
    );
  });
}

describe('OtlpSink', () => {
  let sink: OtlpSink;
  beforeEach(async () => {
    sink = await OtlpSink.start({ maxBodyBytes: 256 * 1024 });
  });
  afterEach(async () => {
    await sink.close();
  });

  it('records traces sent over HTTP as protobuf, JSON and gzip, with resource and scope', async () => {
    const traces = buildMixedTraces({ spanCount: 12, genAiRatio: 0.25 });
    const sent = buildTraces([buildSmallSpan()]);
    expect((await post(sink, '/v1/traces', encodeTraces(traces, 'protobuf'))).status).toBe(200);
    const json = await post(sink, '/v1/traces', encodeTraces(sent, 'json'), { 'Content-Type': 'application/json' });
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toBe('application/json');
    const gzipped = await post(sink, '/v1/traces', gzipSync(encodeTraces(sent, 'protobuf')), {
      'Content-Type': 'application/x-protobuf',
      'Content-Encoding': 'gzip',
    });
    expect(gzipped.status).toBe(200);

    const spans = await sink.waitForSpans(14, 2000);
    expect(spans).toHaveLength(14);
    expect(spans.slice(0, 12).map((entry) => entry.span.spanId)).toEqual(
      traces.resourceSpans[0]?.scopeSpans.flatMap((scopeSpans) => scopeSpans.spans.map((span) => span.spanId)),
    );
    expect(spans[12]?.span).toEqual(sent.resourceSpans[0]?.scopeSpans[0]?.spans[0]);
    expect(spans[12]?.resource).toEqual(sent.resourceSpans[0]?.resource);
    expect(spans[12]?.scope.name).toBe('@opentelemetry/instrumentation-http');
    expect(sink.requests.map((request) => [request.encoding, request.compressed, request.outcome])).toEqual([
      ['protobuf', false, 'accepted'],
      ['json', false, 'accepted'],
      ['protobuf', true, 'accepted'],
    ]);
  });

  it('records logs and metrics', async () => {
    const logs = buildLogs([buildLogRecord(), buildLogRecord({ body: 'second' })]);
    expect((await post(sink, '/v1/logs', encodeLogs(logs, 'protobuf'))).status).toBe(200);
    expect((await post(sink, '/v1/metrics', metricsJson, { 'Content-Type': 'application/json' })).status).toBe(200);
    const records = await sink.waitForLogRecords(2, 2000);
    expect(records.map((entry) => entry.logRecord.body)).toEqual(['order 81723 shipped to warehouse 4', 'second']);
    await sink.waitForDataPoints(2, 2000);
    expect(sink.metrics).toHaveLength(1);
  });

  it('records traces and logs sent over gRPC', async () => {
    const traces = buildTraces([buildSmallSpan(), buildSmallSpan()]);
    const result = await grpcExport(sink, grpcExportPaths.traces, encodeTraces(traces, 'protobuf'));
    expect(result.error).toBeNull();
    const logResult = await grpcExport(
      sink,
      grpcExportPaths.logs,
      encodeLogs(buildLogs([buildLogRecord()]), 'protobuf'),
    );
    expect(logResult.error).toBeNull();
    const spans = await sink.waitForSpans(2, 2000);
    expect(spans.map((entry) => entry.span)).toEqual(traces.resourceSpans[0]?.scopeSpans[0]?.spans);
    expect(sink.logRecordCount).toBe(1);
    expect(sink.requests.every((request) => request.transport === 'grpc')).toBe(true);
  });

  it("offers gRPC clients 16 MiB HTTP/2 windows, as grpc-go backends grow to, not Node's 64 KiB", async () => {
    const session = http2Connect(`http://${sink.grpcEndpoint}`);
    try {
      await new Promise((resolve) => session.once('remoteSettings', resolve));
      // The sink wrote its WINDOW_UPDATE before it could answer this PING.
      await new Promise<void>((resolve, reject) => session.ping((error) => (error ? reject(error) : resolve())));
      expect(session.remoteSettings.initialWindowSize).toBe(16 * 1024 * 1024);
      expect(session.state.remoteWindowSize).toBe(16 * 1024 * 1024);
    } finally {
      session.destroy();
    }
  });

  it('answers 503 with Retry-After for the next N requests, then accepts again', async () => {
    sink.injectFault({ kind: 'unavailable', retryAfterSeconds: 2 }, { count: 2 });
    const body = encodeTraces(buildTraces([buildSmallSpan()]), 'protobuf');
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const response = await post(sink, '/v1/traces', body);
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('2');
      const status = decodeRpcStatus(new Uint8Array(await response.arrayBuffer()), 'protobuf');
      expect(status.code).toBe(14);
      expect(status.retryDelayMs).toBe(2000);
    }
    expect((await post(sink, '/v1/traces', body)).status).toBe(200);
    expect(sink.spanCount).toBe(1);
    expect(sink.requests.map((request) => request.outcome)).toEqual(['unavailable', 'unavailable', 'accepted']);
  });

  it('limits a fault to the given signals', async () => {
    sink.injectFault({ kind: 'throttled' }, { signals: ['logs'] });
    expect((await post(sink, '/v1/traces', encodeTraces(buildTraces([buildSmallSpan()]), 'protobuf'))).status).toBe(
      200,
    );
    expect((await post(sink, '/v1/logs', encodeLogs(buildLogs([buildLogRecord()]), 'protobuf'))).status).toBe(429);
    sink.clearFaults();
    expect((await post(sink, '/v1/logs', encodeLogs(buildLogs([buildLogRecord()]), 'protobuf'))).status).toBe(200);
  });

  it('fails for a time window and then recovers', async () => {
    const body = encodeTraces(buildTraces([buildSmallSpan()]), 'protobuf');
    sink.injectFault({ kind: 'unavailable' }, { durationMs: 150 });
    expect((await post(sink, '/v1/traces', body)).status).toBe(503);
    let status = 503;
    for (let attempt = 0; attempt < 100 && status === 503; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      status = (await post(sink, '/v1/traces', body)).status;
    }
    expect(status).toBe(200);
  });

  it('answers gRPC UNAVAILABLE with RetryInfo in grpc-status-details-bin, and INVALID_ARGUMENT', async () => {
    sink.injectFault({ kind: 'unavailable', retryAfterSeconds: 1 }, { count: 1 });
    sink.injectFault({ kind: 'bad-request', message: 'nope' }, { count: 1 });
    const body = encodeTraces(buildTraces([buildSmallSpan()]), 'protobuf');
    const unavailable = await grpcExport(sink, grpcExportPaths.traces, body);
    expect(unavailable.error?.code).toBe(grpc.status.UNAVAILABLE);
    const details = unavailable.error?.metadata.get('grpc-status-details-bin')[0];
    expect(details).toBeInstanceOf(Buffer);
    expect(decodeRpcStatus(new Uint8Array(details as Buffer), 'protobuf').retryDelayMs).toBe(1000);
    const invalid = await grpcExport(sink, grpcExportPaths.traces, body);
    expect(invalid.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(invalid.error?.details).toBe('nope');
    expect((await grpcExport(sink, grpcExportPaths.traces, body)).error).toBeNull();
    expect(sink.spanCount).toBe(1);
  });

  it('answers 400 for an injected bad request, in the request content type', async () => {
    sink.injectFault({ kind: 'bad-request', message: 'rejected by test' }, { count: 1 });
    const response = await post(sink, '/v1/traces', encodeTraces(buildTraces([buildSmallSpan()]), 'json'), {
      'Content-Type': 'application/json',
    });
    expect(response.status).toBe(400);
    expect(decodeRpcStatus(new Uint8Array(await response.arrayBuffer()), 'json').message).toBe('rejected by test');
    expect(sink.spanCount).toBe(0);
  });

  it('holds hung requests until released', async () => {
    sink.injectFault({ kind: 'hang' }, { count: 1 });
    const pending = post(sink, '/v1/traces', encodeTraces(buildTraces([buildSmallSpan()]), 'protobuf'));
    await sink.waitForRequests(1, 2000);
    expect(sink.hungRequestCount).toBe(1);
    sink.releaseHungRequests();
    expect((await pending).status).toBe(503);
    expect(sink.hungRequestCount).toBe(0);
  });

  it('cuts hung connections off when closed', async () => {
    sink.injectFault({ kind: 'hang' });
    // Settled into a value at once, so the expected rejection is never unhandled.
    const pending = post(sink, '/v1/traces', encodeTraces(buildTraces([buildSmallSpan()]), 'protobuf')).then(
      (response) => response.status,
      (error: unknown) => error,
    );
    const grpcPending = grpcExport(
      sink,
      grpcExportPaths.traces,
      encodeTraces(buildTraces([buildSmallSpan()]), 'protobuf'),
    );
    await sink.waitForRequests(2, 2000);
    await sink.close();
    expect(await pending).toBeInstanceOf(Error);
    expect((await grpcPending).error).not.toBeNull();
  });

  it('rejects bad input with the right status', async () => {
    expect((await post(sink, '/v1/traces', 'x', {}, 'GET')).status).toBe(405);
    expect((await post(sink, '/v1/traces', 'x', { 'Content-Type': 'text/plain' })).status).toBe(415);
    expect((await post(sink, '/v1/nothing', 'x')).status).toBe(404);
    const malformed = await post(sink, '/v1/traces', new Uint8Array([0x0a, 0xff, 0xff, 0xff]));
    expect(malformed.status).toBe(400);
    expect(decodeRpcStatus(new Uint8Array(await malformed.arrayBuffer()), 'protobuf').message).not.toBe('');
    expect((await post(sink, '/v1/traces', '{"resourceSpans": [', { 'Content-Type': 'application/json' })).status).toBe(
      400,
    );
    expect((await post(sink, '/v1/traces', new Uint8Array(300 * 1024))).status).toBe(413);
    const bomb = gzipSync(Buffer.alloc(10 * 1024 * 1024));
    expect(
      (await post(sink, '/v1/traces', bomb, { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'gzip' }))
        .status,
    ).toBe(413);
    const truncated = gzipSync(encodeTraces(buildTraces([buildSmallSpan()]), 'protobuf')).subarray(0, 20);
    expect(
      (
        await post(sink, '/v1/traces', truncated, {
          'Content-Type': 'application/x-protobuf',
          'Content-Encoding': 'gzip',
        })
      ).status,
    ).toBe(400);
    expect(sink.spanCount).toBe(0);
    expect((await post(sink, '/v1/traces', encodeTraces(buildTraces([buildSmallSpan()]), 'protobuf'))).status).toBe(
      200,
    );
  });

  it('rejects a wait that is not satisfied in time', async () => {
    await expect(sink.waitForSpans(1, 50)).rejects.toThrow(/timed out after 50 ms waiting for 1 spans \(got 0\)/);
  });

  it('counts without retaining data when asked, and reports accepted requests', async () => {
    const seen: number[] = [];
    const counting = await OtlpSink.start({ retainData: false, onAccepted: (request) => seen.push(request.itemCount) });
    try {
      await post(counting, '/v1/traces', encodeTraces(buildMixedTraces({ spanCount: 5 }), 'protobuf'));
      await counting.waitForSpans(5, 2000);
      expect(counting.traces).toHaveLength(0);
      expect(seen).toEqual([5]);
    } finally {
      await counting.close();
    }
  });
});
