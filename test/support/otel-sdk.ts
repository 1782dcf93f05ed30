/**
 * The real OpenTelemetry JS SDK, wired so that one batch goes to two places at once: to
 * semtel and straight to a reference sink. What semtel forwards must equal what the SDK
 * sent, and the reference sink shows exactly what that was on the wire.
 */
import type { Attributes, AttributeValue, HrTime } from '@opentelemetry/api';
import { createTraceState, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';
import type { AnyValue as SdkAnyValue } from '@opentelemetry/api-logs';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { Resource as SdkResource } from '@opentelemetry/resources';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import type { PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { AnyValue, KeyValue } from '@semtel/pdata';

export type Protocol = 'http/protobuf' | 'http/json' | 'grpc';
export const protocols: Protocol[] = ['http/protobuf', 'http/json', 'grpc'];

/** Where an OTLP server listens: HTTP base URL and gRPC `host:port`. */
export interface OtlpTarget {
  httpEndpoint: string;
  grpcEndpoint: string;
}

type ExportCallback = Parameters<SpanExporter['export']>[1];
type ExportResult = Parameters<ExportCallback>[0];

const gzip = 'gzip' as NonNullable<NonNullable<ConstructorParameters<typeof ProtoTraceExporter>[0]>['compression']>;

/** gzip on the http/protobuf path so the receiver's decompression is exercised by a real client. */
export function traceExporter(protocol: Protocol, target: OtlpTarget): SpanExporter {
  switch (protocol) {
    case 'http/protobuf':
      return new ProtoTraceExporter({ url: `${target.httpEndpoint}/v1/traces`, compression: gzip });
    case 'http/json':
      return new JsonTraceExporter({ url: `${target.httpEndpoint}/v1/traces` });
    case 'grpc':
      return new GrpcTraceExporter({ url: `http://${target.grpcEndpoint}` });
  }
}

export function logExporter(protocol: Protocol, target: OtlpTarget): LogRecordExporter {
  switch (protocol) {
    case 'http/protobuf':
      return new ProtoLogExporter({ url: `${target.httpEndpoint}/v1/logs`, compression: gzip });
    case 'http/json':
      return new JsonLogExporter({ url: `${target.httpEndpoint}/v1/logs` });
    case 'grpc':
      return new GrpcLogExporter({ url: `http://${target.grpcEndpoint}` });
  }
}

export function metricExporter(protocol: Protocol, target: OtlpTarget): PushMetricExporter {
  switch (protocol) {
    case 'http/protobuf':
      return new ProtoMetricExporter({ url: `${target.httpEndpoint}/v1/metrics` });
    case 'http/json':
      return new JsonMetricExporter({ url: `${target.httpEndpoint}/v1/metrics` });
    case 'grpc':
      return new GrpcMetricExporter({ url: `http://${target.grpcEndpoint}` });
  }
}

function exportTo<T>(
  exporter: { export(items: T, done: (result: ExportResult) => void): void },
  items: T,
): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(items, resolve));
}

/** Sends every batch to all targets and remembers the batch and any failed export. */
export class TeeSpanExporter implements SpanExporter {
  readonly exported: ReadableSpan[] = [];
  readonly failures: string[] = [];
  constructor(private readonly targets: SpanExporter[]) {}

  export(spans: ReadableSpan[], done: ExportCallback): void {
    this.exported.push(...spans);
    void Promise.all(this.targets.map((target) => exportTo(target, spans))).then((results) => {
      for (const result of results) if (result.code !== 0) this.failures.push(String(result.error));
      done(results.find((result) => result.code !== 0) ?? { code: 0 });
    });
  }

  async shutdown(): Promise<void> {
    await Promise.all(this.targets.map((target) => target.shutdown()));
  }
}

export class TeeLogRecordExporter implements LogRecordExporter {
  readonly exported: ReadableLogRecord[] = [];
  readonly failures: string[] = [];
  constructor(private readonly targets: LogRecordExporter[]) {}

  export(records: ReadableLogRecord[], done: ExportCallback): void {
    this.exported.push(...records);
    void Promise.all(this.targets.map((target) => exportTo(target, records))).then((results) => {
      for (const result of results) if (result.code !== 0) this.failures.push(String(result.error));
      done(results.find((result) => result.code !== 0) ?? { code: 0 });
    });
  }

  async shutdown(): Promise<void> {
    await Promise.all(this.targets.map((target) => target.shutdown()));
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.targets.map((target) => target.forceFlush()));
  }
}

/** A reader the test drives: one collection is exported to every target, so both get identical data. */
class ManualMetricReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export const e2eResource: SdkResource = resourceFromAttributes({
  'service.name': 'semtel-e2e',
  'service.version': '0.1.0',
  'deployment.environment.name': 'test',
  'process.pid': 4242,
  'host.arch.bits': 64.5,
  'feature.flags': ['a', 'b'],
});

const schemaUrl = 'https://opentelemetry.io/schemas/1.30.0';
const genAiContent = JSON.stringify([
  { role: 'user', parts: [{ type: 'text', content: 'Summarise the incident report. '.repeat(120) }] },
]);

function attributesOfEveryType(round: number, caseName: string): Attributes {
  return {
    'test.case': caseName,
    'test.round': round,
    'string.value': `value ${round}`,
    'string.empty': '',
    'string.unicode': 'héllo 世界 🚀',
    'bool.true': true,
    'bool.false': false,
    'int.value': 42,
    'int.negative': -7,
    'int.max_safe': Number.MAX_SAFE_INTEGER,
    'double.value': 3.14159,
    'double.negative': -0.5,
    'array.strings': ['a', 'b', ''],
    'array.ints': [1, 2, 3],
    'array.doubles': [1.5, 2.25],
    'array.bools': [true, false],
    'array.empty': [],
  };
}

export interface EmittedTraces {
  exported: ReadableSpan[];
  failures: string[];
}

/**
 * Emits `rounds` small traces covering every span feature: all kinds, parent/child, a remote
 * parent with trace state, links, events, exceptions, statuses, dropped counts (limits are
 * lowered to force them) and a GenAI chat span with ~3.6 KB of content.
 */
export async function emitTraces(options: {
  caseName: string;
  rounds: number;
  targets: SpanExporter[];
}): Promise<EmittedTraces> {
  const tee = new TeeSpanExporter(options.targets);
  const provider = new BasicTracerProvider({
    resource: e2eResource,
    spanLimits: { attributeCountLimit: 32, eventCountLimit: 8, linkCountLimit: 4 },
    spanProcessors: [new BatchSpanProcessor(tee, { maxExportBatchSize: 64, scheduledDelayMillis: 50 })],
  });
  const tracer = provider.getTracer('semtel-e2e', '1.2.3', { schemaUrl });
  const otherTracer = provider.getTracer('semtel-e2e-other');
  for (let round = 0; round < options.rounds; round += 1) {
    const root = tracer.startSpan(`GET /orders/${round}`, {
      kind: SpanKind.SERVER,
      attributes: attributesOfEveryType(round, options.caseName),
    });
    const rootContext = trace.setSpan(ROOT_CONTEXT, root);
    const sibling = otherTracer.startSpan('internal work', { kind: SpanKind.INTERNAL }, rootContext);
    sibling.setAttribute('test.case', options.caseName);
    sibling.end();

    const client = tracer.startSpan(
      'POST upstream',
      {
        kind: SpanKind.CLIENT,
        attributes: { 'test.case': options.caseName, 'http.request.method': 'POST' },
        links: [{ context: sibling.spanContext(), attributes: { 'link.reason': 'follows', 'link.index': 1 } }],
      },
      rootContext,
    );
    client.addEvent('retry', { 'retry.attempt': 2, 'retry.reason': 'timeout' });
    client.addEvent('no-attributes');
    client.recordException(new Error(`boom ${round}`));
    client.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream failed' });
    client.end();

    const remoteParent = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: `${round.toString(16).padStart(8, '0')}aaaaaaaabbbbbbbbcccccccc`,
      spanId: 'dddddddd00000001',
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
      traceState: createTraceState(`vendor=round${round},other=x`),
    });
    const consumer = tracer.startSpan(
      'process message',
      { kind: SpanKind.CONSUMER, attributes: { 'test.case': options.caseName } },
      remoteParent,
    );
    const producer = tracer.startSpan(
      'publish message',
      { kind: SpanKind.PRODUCER, attributes: { 'test.case': options.caseName } },
      trace.setSpan(ROOT_CONTEXT, consumer),
    );
    producer.end();
    consumer.setStatus({ code: SpanStatusCode.OK });
    consumer.end();

    const limited = tracer.startSpan('over limits', { attributes: { 'test.case': options.caseName } }, rootContext);
    for (let index = 0; index < 40; index += 1) limited.setAttribute(`extra.${index}`, index);
    for (let index = 0; index < 10; index += 1) limited.addEvent(`event ${index}`, { index });
    for (let index = 0; index < 6; index += 1)
      limited.addLink({ context: client.spanContext(), attributes: { index } });
    limited.end();

    const chat = tracer.startSpan(
      'chat gpt-4o-mini',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'test.case': options.caseName,
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.request.temperature': 0.2,
          'gen_ai.usage.input_tokens': 900,
          'gen_ai.usage.output_tokens': 120,
          'gen_ai.response.finish_reasons': ['stop'],
          'gen_ai.input.messages': genAiContent,
        },
      },
      rootContext,
    );
    chat.end();
    root.setStatus({ code: SpanStatusCode.UNSET });
    root.end();
  }
  await provider.forceFlush();
  await provider.shutdown();
  return { exported: tee.exported, failures: tee.failures };
}

export interface EmittedLogs {
  exported: ReadableLogRecord[];
  failures: string[];
}

/** Emits `rounds` × 6 log records: every body type, severities, event names, span context. */
export async function emitLogs(options: {
  caseName: string;
  rounds: number;
  targets: LogRecordExporter[];
}): Promise<EmittedLogs> {
  const tee = new TeeLogRecordExporter(options.targets);
  const provider = new LoggerProvider({
    resource: e2eResource,
    processors: [new BatchLogRecordProcessor({ exporter: tee, maxExportBatchSize: 64, scheduledDelayMillis: 50 })],
  });
  const logger = provider.getLogger('semtel-e2e-logs', '0.4.0', { schemaUrl });
  const tracer = new BasicTracerProvider().getTracer('log-context');
  let index = 0;
  // A unique `test.index` per record lets the test pair what arrived with what was sent.
  const emit = (record: Parameters<typeof logger.emit>[0]): void => {
    logger.emit({ ...record, attributes: { ...record.attributes, 'test.index': index } });
    index += 1;
  };
  for (let round = 0; round < options.rounds; round += 1) {
    const span = tracer.startSpan('request');
    const spanContext = trace.setSpan(ROOT_CONTEXT, span);
    const attributes = { 'test.case': options.caseName, 'test.round': round };
    emit({ severityNumber: SeverityNumber.INFO, severityText: 'INFO', body: `plain ${round}`, attributes });
    emit({
      severityNumber: SeverityNumber.ERROR,
      severityText: 'ERROR',
      body: { message: 'structured', code: 500, ratio: 0.5, nested: { ok: false, list: [1, 'two'] } },
      attributes: { ...attributes, 'map.attribute': { a: 1, b: 'x' }, 'array.attribute': [1, 2] },
      context: spanContext,
    });
    emit({ severityNumber: SeverityNumber.DEBUG, body: ['a', 2, true, 2.5], attributes });
    emit({ severityNumber: SeverityNumber.WARN, body: new Uint8Array([0, 1, 2, 250]), attributes });
    emit({
      eventName: 'gen_ai.user.message',
      severityNumber: SeverityNumber.INFO,
      body: { content: 'What is the weather in Paris?', role: 'user' },
      attributes: { ...attributes, 'gen_ai.system': 'openai' },
      context: spanContext,
    });
    emit({ body: 42, attributes, timestamp: [1_700_000_000, 123_456_789] });
    span.end();
  }
  await provider.forceFlush();
  await provider.shutdown();
  return { exported: tee.exported, failures: tee.failures };
}

/**
 * Records a counter, an up-down counter, a histogram and an observable gauge, collects once
 * and exports that one collection to every target. Returns the number of data points.
 */
export async function emitMetrics(options: { caseName: string; targets: PushMetricExporter[] }): Promise<number> {
  const reader = new ManualMetricReader();
  const provider = new MeterProvider({ resource: e2eResource, readers: [reader] });
  const meter = provider.getMeter('semtel-e2e-meter', '1.0.0');
  const attributes = { 'test.case': options.caseName };
  meter.createCounter('e2e.requests').add(5, { ...attributes, route: '/a' });
  meter.createCounter('e2e.requests').add(3, { ...attributes, route: '/b' });
  meter.createUpDownCounter('e2e.in_flight').add(-2, attributes);
  const histogram = meter.createHistogram('e2e.duration', { unit: 's' });
  for (const value of [0.01, 0.2, 1.5, 7]) histogram.record(value, attributes);
  meter.createObservableGauge('e2e.temperature').addCallback((result) => result.observe(21.5, attributes));
  const { resourceMetrics, errors } = await reader.collect();
  if (errors.length > 0) throw new Error(`metric collection failed: ${errors.map(String).join('; ')}`);
  const results = await Promise.all(
    options.targets.map((target) => exportTo<ResourceMetrics>(target, resourceMetrics)),
  );
  const failed = results.filter((result) => result.code !== 0);
  if (failed.length > 0)
    throw new Error(`metric export failed: ${failed.map((result) => String(result.error)).join('; ')}`);
  await Promise.all(options.targets.map((target) => target.shutdown()));
  await provider.shutdown();
  return resourceMetrics.scopeMetrics.reduce(
    (total, scope) => total + scope.metrics.reduce((sum, metric) => sum + metric.dataPoints.length, 0),
    0,
  );
}

// ---- what the SDK handed its exporter, in pdata terms ----

export function hrTimeToNanos(time: HrTime): bigint {
  return BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
}

/** The JS SDK's OTLP transformer: integer numbers become int_value, others double_value. */
export function sdkValueToAnyValue(value: AttributeValue | SdkAnyValue | undefined | null): AnyValue {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map((item) => sdkValueToAnyValue(item as SdkAnyValue));
  return { kvlist: sdkAttributesToKeyValues(value as Record<string, SdkAnyValue>) };
}

export function sdkAttributesToKeyValues(attributes: Record<string, unknown>): KeyValue[] {
  return Object.entries(attributes).map(([key, value]) => ({ key, value: sdkValueToAnyValue(value as SdkAnyValue) }));
}

/** The OTLP fields of a span the SDK exported, as @semtel/otlp decodes them. */
export function expectedSpan(span: ReadableSpan): Record<string, unknown> {
  const context = span.spanContext();
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    traceState: context.traceState?.serialize() ?? '',
    parentSpanId: span.parentSpanContext?.spanId ?? '',
    name: span.name,
    kind: span.kind + 1,
    startTimeUnixNano: hrTimeToNanos(span.startTime),
    endTimeUnixNano: hrTimeToNanos(span.endTime),
    attributes: sdkAttributesToKeyValues(span.attributes),
    droppedAttributesCount: span.droppedAttributesCount,
    events: span.events.map((event) => ({
      timeUnixNano: hrTimeToNanos(event.time),
      name: event.name,
      attributes: sdkAttributesToKeyValues(event.attributes ?? {}),
      droppedAttributesCount: event.droppedAttributesCount ?? 0,
    })),
    droppedEventsCount: span.droppedEventsCount,
    links: span.links.map((link) => ({
      traceId: link.context.traceId,
      spanId: link.context.spanId,
      traceState: link.context.traceState?.serialize() ?? '',
      attributes: sdkAttributesToKeyValues(link.attributes ?? {}),
      droppedAttributesCount: link.droppedAttributesCount ?? 0,
    })),
    droppedLinksCount: span.droppedLinksCount,
    status: { code: span.status.code, message: span.status.message ?? '' },
  };
}

export function expectedLogRecord(record: ReadableLogRecord): Record<string, unknown> {
  return {
    timeUnixNano: hrTimeToNanos(record.hrTime),
    observedTimeUnixNano: hrTimeToNanos(record.hrTimeObserved),
    severityNumber: record.severityNumber ?? 0,
    severityText: record.severityText ?? '',
    body: sdkValueToAnyValue(record.body),
    attributes: sdkAttributesToKeyValues(record.attributes),
    droppedAttributesCount: record.droppedAttributesCount,
    flags: record.spanContext?.traceFlags ?? 0,
    traceId: record.spanContext?.traceId ?? '',
    spanId: record.spanContext?.spanId ?? '',
    eventName: record.eventName ?? '',
  };
}

export function expectedResourceAttributes(resource: SdkResource): KeyValue[] {
  return sdkAttributesToKeyValues(resource.attributes);
}
