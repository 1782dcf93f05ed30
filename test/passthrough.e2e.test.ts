/**
 * The real OpenTelemetry JS SDK sends traces, logs and metrics over http/protobuf, http/json
 * and gRPC to a spawned `semtel start`, which forwards them to an OtlpSink. Each batch also
 * goes straight to a reference sink, so the forwarded data must equal what was on the wire,
 * field for field, and must match what the SDK handed its exporter.
 */
import { encodeMetrics } from '@semtel/otlp';
import type { LogRecordWithContext, SpanWithContext } from '@semtel/testing';
import { OtlpSink } from '@semtel/testing';
import type { Metrics } from '@semtel/pdata';
import { getAttribute } from '@semtel/pdata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Protocol } from './support/otel-sdk.js';
import {
  emitLogs,
  emitMetrics,
  emitTraces,
  expectedLogRecord,
  expectedResourceAttributes,
  expectedSpan,
  logExporter,
  metricExporter,
  protocols,
  traceExporter,
} from './support/otel-sdk.js';
import type { SemtelProcess } from './support/semtel-process.js';
import { startSemtelProcess } from './support/semtel-process.js';

const arrivalTimeoutMs = 15_000;

function spansOfCase(sink: OtlpSink, caseName: string): SpanWithContext[] {
  return sink
    .spans()
    .filter((entry) => getAttribute(entry.span.attributes, 'test.case') === caseName)
    .sort((left, right) => left.span.spanId.localeCompare(right.span.spanId));
}

function logRecordsOfCase(sink: OtlpSink, caseName: string): LogRecordWithContext[] {
  const index = (entry: LogRecordWithContext): bigint =>
    getAttribute(entry.logRecord.attributes, 'test.index') as bigint;
  return sink
    .logRecords()
    .filter((entry) => getAttribute(entry.logRecord.attributes, 'test.case') === caseName)
    .sort((left, right) => Number(index(left) - index(right)));
}

function metricsOfCase(sink: OtlpSink, caseName: string): unknown[] {
  return sink.metrics
    .map((metrics: Metrics) => new TextDecoder().decode(encodeMetrics(metrics, 'json')))
    .filter((json) => json.includes(caseName))
    .map((json) => JSON.parse(json) as unknown);
}

describe.each([
  {
    exporter: 'otlp_http',
    yaml: (backend: OtlpSink) => `
      otlp_http:
        endpoint: ${backend.httpEndpoint}
        compression: gzip
        retry_on_failure: { initial_interval: 100ms, max_interval: 1s, max_elapsed_time: 20s }`,
  },
  {
    exporter: 'otlp_grpc',
    yaml: (backend: OtlpSink) => `
      otlp_grpc:
        endpoint: ${backend.grpcEndpoint}
        tls: { insecure: true }
        retry_on_failure: { initial_interval: 100ms, max_interval: 1s, max_elapsed_time: 20s }`,
  },
])('semtel passes telemetry through unchanged with the $exporter exporter', ({ exporter, yaml }) => {
  let backend: OtlpSink;
  let reference: OtlpSink;
  let semtel: SemtelProcess;

  beforeAll(async () => {
    backend = await OtlpSink.start();
    reference = await OtlpSink.start();
    semtel = await startSemtelProcess({
      exportersYaml: yaml(backend),
      pipelinesYaml: `
        traces: { receivers: [otlp], exporters: [${exporter}] }
        logs: { receivers: [otlp], exporters: [${exporter}] }
        metrics: { receivers: [otlp], exporters: [${exporter}] }`,
    });
  });

  afterAll(async () => {
    const exitCode = await semtel?.stop();
    await Promise.all([backend?.close(), reference?.close()]);
    // A clean shutdown on SIGTERM is part of the contract.
    expect(exitCode, semtel?.output()).toBe(0);
  });

  it.each(protocols)('forwards every span sent over %s with all fields intact', async (protocol: Protocol) => {
    const caseName = `${exporter} ${protocol} traces`;
    const emitted = await emitTraces({
      caseName,
      rounds: 15,
      targets: [traceExporter(protocol, semtel), traceExporter(protocol, reference)],
    });
    expect(emitted.failures, semtel.output()).toEqual([]);
    const sentCount = emitted.exported.filter((span) => span.attributes['test.case'] === caseName).length;
    expect(sentCount).toBe(15 * 7);

    await reference.waitUntil(
      () => spansOfCase(reference, caseName).length >= sentCount,
      arrivalTimeoutMs,
      () => `${sentCount} reference spans`,
    );
    await backend.waitUntil(
      () => spansOfCase(backend, caseName).length >= sentCount,
      arrivalTimeoutMs,
      () => `${sentCount} forwarded spans, got ${spansOfCase(backend, caseName).length}\n${semtel.output()}`,
    );
    const forwarded = spansOfCase(backend, caseName);
    const direct = spansOfCase(reference, caseName);
    // Exactly once each, and identical to what the SDK put on the wire.
    expect(new Set(forwarded.map((entry) => entry.span.spanId)).size).toBe(sentCount);
    expect(forwarded).toHaveLength(sentCount);
    expect(forwarded).toEqual(direct);

    const byId = new Map(forwarded.map((entry) => [entry.span.spanId, entry]));
    for (const readable of emitted.exported.filter((span) => span.attributes['test.case'] === caseName)) {
      const received = byId.get(readable.spanContext().spanId);
      expect(received, readable.name).toBeDefined();
      if (received === undefined) continue;
      expect(received.span).toMatchObject(expectedSpan(readable));
      expect(received.span.flags & 0xff).toBe(readable.spanContext().traceFlags);
      expect(received.resource.attributes).toEqual(expectedResourceAttributes(readable.resource));
      expect(received.scope.name).toBe(readable.instrumentationScope.name);
      expect(received.scope.version).toBe(readable.instrumentationScope.version ?? '');
      expect(received.scopeSchemaUrl).toBe(readable.instrumentationScope.schemaUrl ?? '');
    }
    // The test covers what it claims to cover.
    const spans = forwarded.map((entry) => entry.span);
    expect(new Set(spans.map((span) => span.kind))).toEqual(new Set([1, 2, 3, 4, 5]));
    expect(spans.some((span) => span.traceState.startsWith('vendor=round'))).toBe(true);
    expect(spans.some((span) => span.droppedAttributesCount > 0 && span.droppedEventsCount > 0)).toBe(true);
    expect(spans.some((span) => span.droppedLinksCount > 0)).toBe(true);
    expect(spans.some((span) => span.status.code === 2 && span.status.message === 'upstream failed')).toBe(true);
  });

  it.each(protocols)('forwards every log record sent over %s with all fields intact', async (protocol: Protocol) => {
    const caseName = `${exporter} ${protocol} logs`;
    const emitted = await emitLogs({
      caseName,
      rounds: 10,
      targets: [logExporter(protocol, semtel), logExporter(protocol, reference)],
    });
    expect(emitted.failures, semtel.output()).toEqual([]);
    const sentCount = emitted.exported.length;
    expect(sentCount).toBe(60);

    await reference.waitUntil(
      () => logRecordsOfCase(reference, caseName).length >= sentCount,
      arrivalTimeoutMs,
      () => `${sentCount} reference log records`,
    );
    await backend.waitUntil(
      () => logRecordsOfCase(backend, caseName).length >= sentCount,
      arrivalTimeoutMs,
      () => `${sentCount} forwarded log records, got ${logRecordsOfCase(backend, caseName).length}\n${semtel.output()}`,
    );
    const forwarded = logRecordsOfCase(backend, caseName);
    expect(forwarded).toHaveLength(sentCount);
    expect(forwarded).toEqual(logRecordsOfCase(reference, caseName));

    for (const [index, readable] of emitted.exported.entries()) {
      const received = forwarded[index];
      expect(getAttribute(received?.logRecord.attributes ?? [], 'test.index')).toBe(BigInt(index));
      expect(received?.logRecord).toMatchObject(expectedLogRecord(readable));
      expect(received?.resource.attributes).toEqual(expectedResourceAttributes(readable.resource));
      expect(received?.scope.name).toBe('semtel-e2e-logs');
      expect(received?.scope.version).toBe('0.4.0');
    }
  });

  it.each(protocols)('forwards metrics sent over %s', async (protocol: Protocol) => {
    const caseName = `${exporter} ${protocol} metrics`;
    const dataPoints = await emitMetrics({
      caseName,
      targets: [metricExporter(protocol, semtel), metricExporter(protocol, reference)],
    });
    // Two counter series, one up-down counter, one histogram, one gauge.
    expect(dataPoints).toBe(5);
    await reference.waitUntil(
      () => metricsOfCase(reference, caseName).length >= 1,
      arrivalTimeoutMs,
      () => 'reference metrics',
    );
    await backend.waitUntil(
      () => metricsOfCase(backend, caseName).length >= 1,
      arrivalTimeoutMs,
      () => `forwarded metrics\n${semtel.output()}`,
    );
    expect(metricsOfCase(backend, caseName)).toEqual(metricsOfCase(reference, caseName));
    const forwardedPoints = backend.metrics
      .filter((metrics) => new TextDecoder().decode(encodeMetrics(metrics, 'json')).includes(caseName))
      .reduce((total, metrics) => total + metrics.dataPointCount, 0);
    expect(forwardedPoints).toBe(dataPoints);
  });

  it('keeps 64-bit integers that an OTLP/JSON sender wrote as numbers exact beyond 2^53', async () => {
    // Lenient senders (and the JS SDK, for integer attributes) write numbers where OTLP/JSON asks
    // for strings; JSON.parse alone would round every one of these.
    const caseName = `${exporter} json int64 numbers`;
    const body =
      `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${'ab'.repeat(16)}","spanId":"${'cd'.repeat(8)}",` +
      `"name":"big numbers","startTimeUnixNano":1700000000123456789,"endTimeUnixNano":1700000000987654321,` +
      `"attributes":[{"key":"test.case","value":{"stringValue":"${caseName}"}},` +
      `{"key":"big","value":{"intValue":9007199254740993}},{"key":"min","value":{"intValue":-9223372036854775808}}]}]}]}]}`;
    const response = await fetch(`${semtel.httpEndpoint}/v1/traces`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    expect(response.status, await response.clone().text()).toBe(200);
    await response.arrayBuffer();
    await backend.waitUntil(
      () => spansOfCase(backend, caseName).length >= 1,
      arrivalTimeoutMs,
      () => `the span with big numbers\n${semtel.output()}`,
    );
    const [received] = spansOfCase(backend, caseName);
    expect(received?.span.startTimeUnixNano).toBe(1700000000123456789n);
    expect(received?.span.endTimeUnixNano).toBe(1700000000987654321n);
    expect(getAttribute(received?.span.attributes ?? [], 'big')).toBe(9007199254740993n);
    expect(getAttribute(received?.span.attributes ?? [], 'min')).toBe(-9223372036854775808n);
  });
});
