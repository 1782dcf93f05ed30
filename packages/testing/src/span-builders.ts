import { randomBytes } from 'node:crypto';
import type { InstrumentationScope, KeyValue, LogRecord, Logs, Resource, Span, Traces } from '@semtel/pdata';
import { createLogRecord, createResource, createScope, createSpan, SpanKind, StatusCode } from '@semtel/pdata';

export function randomTraceId(): string {
  return randomBytes(16).toString('hex');
}

export function randomSpanId(): string {
  return randomBytes(8).toString('hex');
}

/** Wall-clock time in nanoseconds, as OTLP timestamps are. */
export function nowUnixNano(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

export interface SpanBuildOptions {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  startTimeUnixNano?: bigint;
  durationNanos?: bigint;
}

export function buildResource(serviceName = 'checkout', extra: KeyValue[] = []): Resource {
  return createResource([
    { key: 'service.name', value: serviceName },
    { key: 'service.version', value: '1.4.2' },
    { key: 'deployment.environment.name', value: 'production' },
    { key: 'host.name', value: 'ip-10-0-12-34' },
    { key: 'process.pid', value: 4242n },
    { key: 'telemetry.sdk.language', value: 'nodejs' },
    { key: 'telemetry.sdk.name', value: 'opentelemetry' },
    { key: 'telemetry.sdk.version', value: '2.12.0' },
    ...extra,
  ]);
}

export function buildScope(name = '@opentelemetry/instrumentation-http', version = '0.208.0'): InstrumentationScope {
  return createScope(name, version);
}

function times(options: SpanBuildOptions, defaultDuration: bigint): { start: bigint; end: bigint } {
  const start = options.startTimeUnixNano ?? nowUnixNano();
  return { start, end: start + (options.durationNanos ?? defaultDuration) };
}

/**
 * A typical HTTP server span (~0.6 KB encoded): semconv HTTP attributes of every scalar type
 * and one event, the bulk of what an instrumented service emits.
 */
export function buildSmallSpan(options: SpanBuildOptions = {}): Span {
  const { start, end } = times(options, 12_345_678n);
  return createSpan({
    traceId: options.traceId ?? randomTraceId(),
    spanId: options.spanId ?? randomSpanId(),
    parentSpanId: options.parentSpanId ?? '',
    name: options.name ?? 'GET /api/orders/{id}',
    kind: SpanKind.SERVER,
    flags: 0x101,
    traceState: 'vendor=abc123',
    startTimeUnixNano: start,
    endTimeUnixNano: end,
    attributes: [
      { key: 'http.request.method', value: 'GET' },
      { key: 'http.route', value: '/api/orders/{id}' },
      { key: 'url.path', value: '/api/orders/81723' },
      { key: 'url.scheme', value: 'https' },
      { key: 'http.response.status_code', value: 200n },
      { key: 'server.address', value: 'orders.internal' },
      { key: 'server.port', value: 8443n },
      { key: 'network.protocol.version', value: '1.1' },
      { key: 'user_agent.original', value: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36' },
      { key: 'app.cache.hit', value: true },
      { key: 'app.cache.ratio', value: 0.875 },
    ],
    events: [
      {
        timeUnixNano: start + 1_000_000n,
        name: 'cache.lookup',
        attributes: [{ key: 'cache.key', value: 'order:81723' }],
        droppedAttributesCount: 0,
      },
    ],
    status: { code: StatusCode.UNSET, message: '' },
  });
}

const sentences = [
  'The quarterly revenue grew by eleven percent, driven mostly by subscription renewals in the enterprise tier.',
  'Please summarise the attached incident report and list the three most likely root causes with evidence.',
  'Our deployment pipeline fails intermittently on the integration stage when the database container starts slowly.',
  'I want a weekly meal plan that is vegetarian, high in protein and takes less than thirty minutes per dinner.',
  'Rewrite this paragraph in a friendlier tone without losing the technical details about rate limiting.',
  'The customer reports that invoices generated after the migration show the wrong currency symbol.',
  'Explain the difference between optimistic and pessimistic locking, with an example from an order system.',
  'Translate the following product description into German, keeping the brand names in English.',
];

/** Deterministic filler prose of at least `length` characters, so payload sizes are stable. */
export function proseOfLength(length: number, offset = 0): string {
  const parts: string[] = [];
  let size = 0;
  for (let index = offset; size < length; index += 1) {
    const sentence = sentences[index % sentences.length] ?? '';
    parts.push(sentence);
    size += sentence.length + 1;
  }
  return parts.join(' ');
}

export interface GenAiSpanBuildOptions extends SpanBuildOptions {
  /** Approximate encoded size of the span; message content is padded to reach it. Default 5000. */
  targetBytes?: number;
  model?: string;
  /** Used to vary the content between spans (so dedupe does not collapse them). */
  variant?: number;
}

/**
 * A chat inference span in the current GenAI semantic conventions (v1.41): request and
 * response attributes, usage, and opt-in content as JSON strings, as the JS SDK records it.
 */
export function buildGenAiSpan(options: GenAiSpanBuildOptions = {}): Span {
  const { start, end } = times(options, 1_834_000_000n);
  const model = options.model ?? 'gpt-4o-mini';
  const variant = options.variant ?? 0;
  const overhead = 1400;
  const contentLength = Math.max(64, (options.targetBytes ?? 5000) - overhead);
  const question = `[${variant}] ${proseOfLength(Math.floor(contentLength * 0.6), variant)}`;
  const answer = proseOfLength(Math.floor(contentLength * 0.4), variant + 3);
  const inputMessages = [
    { role: 'user', parts: [{ type: 'text', content: question }] },
    {
      role: 'assistant',
      parts: [{ type: 'tool_call', id: 'call_1', name: 'search_documents', arguments: { query: 'incident' } }],
    },
    { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', response: 'three documents found' }] },
  ];
  const outputMessages = [{ role: 'assistant', parts: [{ type: 'text', content: answer }], finish_reason: 'stop' }];
  return createSpan({
    traceId: options.traceId ?? randomTraceId(),
    spanId: options.spanId ?? randomSpanId(),
    parentSpanId: options.parentSpanId ?? '',
    name: options.name ?? `chat ${model}`,
    kind: SpanKind.CLIENT,
    flags: 0x101,
    startTimeUnixNano: start,
    endTimeUnixNano: end,
    attributes: [
      { key: 'gen_ai.operation.name', value: 'chat' },
      { key: 'gen_ai.provider.name', value: 'openai' },
      { key: 'gen_ai.request.model', value: model },
      { key: 'gen_ai.request.temperature', value: 0.2 },
      { key: 'gen_ai.request.max_tokens', value: 1024n },
      { key: 'gen_ai.request.stop_sequences', value: ['\n\nUser:'] },
      { key: 'gen_ai.response.id', value: `chatcmpl-${variant}-${randomSpanId()}` },
      { key: 'gen_ai.response.model', value: `${model}-2024-07-18` },
      { key: 'gen_ai.response.finish_reasons', value: ['stop'] },
      { key: 'gen_ai.usage.input_tokens', value: BigInt(Math.ceil(question.length / 4)) },
      { key: 'gen_ai.usage.output_tokens', value: BigInt(Math.ceil(answer.length / 4)) },
      { key: 'gen_ai.conversation.id', value: `conv_${variant % 97}` },
      { key: 'server.address', value: 'api.openai.com' },
      { key: 'server.port', value: 443n },
      {
        key: 'gen_ai.system_instructions',
        value: JSON.stringify([{ type: 'text', content: 'You are a helpful assistant for an operations team.' }]),
      },
      { key: 'gen_ai.input.messages', value: JSON.stringify(inputMessages) },
      { key: 'gen_ai.output.messages', value: JSON.stringify(outputMessages) },
    ],
    status: { code: StatusCode.UNSET, message: '' },
  });
}

export function buildTraces(
  spans: Span[],
  options: { resource?: Resource; scope?: InstrumentationScope; schemaUrl?: string } = {},
): Traces {
  return {
    resourceSpans: [
      {
        resource: options.resource ?? buildResource(),
        schemaUrl: options.schemaUrl ?? 'https://opentelemetry.io/schemas/1.37.0',
        scopeSpans: [{ scope: options.scope ?? buildScope(), spans, schemaUrl: '' }],
      },
    ],
  };
}

export interface MixedTracesOptions {
  spanCount: number;
  /** Fraction of spans that are ~5 KB GenAI chat spans; the rest are small HTTP spans. Default 0.25. */
  genAiRatio?: number;
  genAiTargetBytes?: number;
  /** Offsets content variants so separate batches do not carry identical messages. */
  variantOffset?: number;
}

/**
 * A realistic batch: small HTTP spans under one scope and GenAI chat spans under an OpenAI
 * instrumentation scope, in traces of a few spans each with parent/child links.
 */
export function buildMixedTraces(options: MixedTracesOptions): Traces {
  const genAiEvery = Math.max(1, Math.round(1 / Math.max(options.genAiRatio ?? 0.25, 1e-9)));
  const httpSpans: Span[] = [];
  const genAiSpans: Span[] = [];
  let traceId = randomTraceId();
  let rootSpanId = '';
  for (let index = 0; index < options.spanCount; index += 1) {
    if (index % 8 === 0) {
      traceId = randomTraceId();
      rootSpanId = randomSpanId();
    }
    const parentSpanId = index % 8 === 0 ? '' : rootSpanId;
    const spanId = index % 8 === 0 ? rootSpanId : randomSpanId();
    if ((options.genAiRatio ?? 0.25) > 0 && index % genAiEvery === genAiEvery - 1) {
      genAiSpans.push(
        buildGenAiSpan({
          traceId,
          spanId,
          parentSpanId,
          targetBytes: options.genAiTargetBytes,
          variant: (options.variantOffset ?? 0) + index,
        }),
      );
    } else {
      httpSpans.push(buildSmallSpan({ traceId, spanId, parentSpanId }));
    }
  }
  const scopeSpans = [{ scope: buildScope(), spans: httpSpans, schemaUrl: '' }];
  if (genAiSpans.length > 0) {
    scopeSpans.push({
      scope: buildScope('@opentelemetry/instrumentation-openai', '0.19.0'),
      spans: genAiSpans,
      schemaUrl: '',
    });
  }
  return {
    resourceSpans: [{ resource: buildResource(), schemaUrl: 'https://opentelemetry.io/schemas/1.37.0', scopeSpans }],
  };
}

export interface LogRecordBuildOptions {
  traceId?: string;
  spanId?: string;
  body?: string;
  timeUnixNano?: bigint;
}

/** An application log line tied to a span. */
export function buildLogRecord(options: LogRecordBuildOptions = {}): LogRecord {
  const time = options.timeUnixNano ?? nowUnixNano();
  return createLogRecord({
    timeUnixNano: time,
    observedTimeUnixNano: time + 1_000n,
    severityNumber: 9,
    severityText: 'INFO',
    body: options.body ?? 'order 81723 shipped to warehouse 4',
    attributes: [
      { key: 'code.function.name', value: 'shipOrder' },
      { key: 'order.id', value: 81723n },
      { key: 'order.total', value: 99.5 },
    ],
    flags: options.traceId ? 1 : 0,
    traceId: options.traceId ?? '',
    spanId: options.spanId ?? '',
  });
}

/**
 * A log-based GenAI content event, as `@opentelemetry/instrumentation-openai` emits it:
 * body-structured message content tied to the chat span by trace and span id.
 */
export function buildGenAiEventLogRecord(span: Pick<Span, 'traceId' | 'spanId'>, content = 'What is OTLP?'): LogRecord {
  const time = nowUnixNano();
  return createLogRecord({
    timeUnixNano: time,
    observedTimeUnixNano: time,
    severityNumber: 9,
    eventName: 'gen_ai.user.message',
    body: { kvlist: [{ key: 'content', value: content }] },
    attributes: [{ key: 'gen_ai.system', value: 'openai' }],
    flags: 1,
    traceId: span.traceId,
    spanId: span.spanId,
  });
}

export function buildLogs(
  logRecords: LogRecord[],
  options: { resource?: Resource; scope?: InstrumentationScope } = {},
): Logs {
  return {
    resourceLogs: [
      {
        resource: options.resource ?? buildResource(),
        schemaUrl: '',
        scopeLogs: [{ scope: options.scope ?? buildScope('app-logger', '1.0.0'), logRecords, schemaUrl: '' }],
      },
    ],
  };
}
