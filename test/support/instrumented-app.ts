/**
 * The "app" of the classification end-to-end tests: real OpenTelemetry JS SDK providers whose
 * OTLP exporters send every batch both to semtel and straight to a reference sink, and a few
 * multi-turn conversations run under manual (non-GenAI) parent spans.
 */
import type { Span as ApiSpan, Tracer } from '@opentelemetry/api';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { SpanWithContext } from '@semtel/testing';
import { OtlpSink } from '@semtel/testing';
import { expect } from 'vitest';
import { TeeLogRecordExporter, TeeSpanExporter } from './otel-sdk.js';
import { indexSpans, spanKey, withoutEnrichment } from './semantic-assertions.js';

/** The tracer the app's own (non-GenAI) spans come from. */
export const appScopeName = 'semtel-e2e-app';

export interface ChatTurn {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/**
 * Realistic multi-turn conversations, each on its own subject, so the classifier LLM's
 * answers (chosen from the words of each transcript) differ between them.
 */
export const conversations: { route: string; system: string; userTurns: string[] }[] = [
  {
    route: '/api/assistant/code',
    system: 'You are a senior TypeScript engineer helping with code reviews and bugs.',
    userTurns: [
      'My Node.js service throws "TypeError: Cannot read properties of undefined (reading \'map\')" when the orders array is empty. How do I debug this?',
      'Here is the function: `const totals = orders.items.map(item => item.price)`. Please rewrite it so it handles a missing items list and add a unit test with vitest.',
    ],
  },
  {
    route: '/api/assistant/health',
    system: 'You are a friendly wellness coach. You do not give medical diagnoses.',
    userTurns: [
      'I sleep badly since I started running in the evenings. Could the exercise timing affect my sleep?',
      'Thanks, that helps. What should I eat after an evening run so I recover but still fall asleep easily?',
      'Great, I will try the yoghurt and banana idea tonight. Thank you!',
    ],
  },
  {
    route: '/api/assistant/travel',
    system: 'You are a travel planner for city breaks in Europe.',
    userTurns: [
      'Plan a three day trip to Lisbon in October for two people on a mid-range budget.',
      'Can you swap the second day for a day trip to Sintra and list the train times?',
    ],
  },
];

/** What semtel's output is checked against: a copy of every export, and what the SDK exported. */
export interface SentTelemetry {
  /** Receives exactly what the SDK sent semtel: what semtel forwards is compared with it. */
  reference: OtlpSink;
  /** `traceId:spanId` of every span the SDK handed its exporter. */
  exportedSpanKeys(): string[];
}

export interface AppTelemetry extends SentTelemetry {
  tracerProvider: NodeTracerProvider;
  loggerProvider: LoggerProvider;
  /** Every span the SDK handed its exporter. */
  spanTee: TeeSpanExporter;
  logTee: TeeLogRecordExporter;
  tracer: Tracer;
  /** Flushes both signals, in the given order, and checks that every export succeeded. */
  flush(order?: 'logs-first' | 'spans-first'): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * Starts the SDK: a NodeTracerProvider registered globally (its AsyncLocalStorage context
 * manager is what makes the instrumentations' spans children of the app's spans) and a
 * LoggerProvider, both exporting OTLP/HTTP protobuf to semtel and to a reference sink.
 */
export async function startAppTelemetry(target: { httpEndpoint: string }, serviceName: string): Promise<AppTelemetry> {
  const reference = await OtlpSink.start();
  const resource = resourceFromAttributes({
    'service.name': serviceName,
    'service.version': '2.3.0',
    'deployment.environment.name': 'e2e',
  });
  const spanTee = new TeeSpanExporter([
    new OTLPTraceExporter({ url: `${target.httpEndpoint}/v1/traces` }),
    new OTLPTraceExporter({ url: `${reference.httpEndpoint}/v1/traces` }),
  ]);
  const logTee = new TeeLogRecordExporter([
    new OTLPLogExporter({ url: `${target.httpEndpoint}/v1/logs` }),
    new OTLPLogExporter({ url: `${reference.httpEndpoint}/v1/logs` }),
  ]);
  const tracerProvider = new NodeTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(spanTee, { scheduledDelayMillis: 60_000, maxQueueSize: 4096 })],
  });
  tracerProvider.register();
  const loggerProvider = new LoggerProvider({
    resource,
    processors: [new BatchLogRecordProcessor({ exporter: logTee, scheduledDelayMillis: 60_000, maxQueueSize: 4096 })],
  });
  logs.setGlobalLoggerProvider(loggerProvider);
  const checkFailures = (): void => {
    const failures = [...spanTee.failures, ...logTee.failures];
    if (failures.length > 0) throw new Error(`the app's OTLP exports failed: ${failures.join('; ')}`);
  };
  return {
    tracerProvider,
    loggerProvider,
    spanTee,
    logTee,
    reference,
    exportedSpanKeys: () =>
      spanTee.exported.map((span) => {
        const spanContext = span.spanContext();
        return spanKey({ traceId: spanContext.traceId, spanId: spanContext.spanId });
      }),
    tracer: tracerProvider.getTracer(appScopeName, '1.0.0'),
    async flush(order = 'logs-first') {
      // The scheduled delay is long so that a test decides which signal semtel sees first.
      if (order === 'logs-first') {
        await loggerProvider.forceFlush();
        await tracerProvider.forceFlush();
      } else {
        await tracerProvider.forceFlush();
        await loggerProvider.forceFlush();
      }
      checkFailures();
    },
    async shutdown() {
      await Promise.allSettled([tracerProvider.shutdown(), loggerProvider.shutdown()]);
      await reference.close();
    },
  };
}

/** Runs `work` inside an active span of the app's own tracer. */
function inSpan<T>(
  tracer: Tracer,
  name: string,
  options: Parameters<Tracer['startSpan']>[1],
  work: (span: ApiSpan) => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(name, options ?? {}, async (span) => {
    try {
      return await work(span);
    } finally {
      span.end();
    }
  });
}

/**
 * Runs every conversation turn by turn, the history growing with each assistant reply, as a
 * chat app does. Each request is an HTTP server span (the app's, not GenAI) with a child span
 * that loads the history; the instrumented LLM call becomes a child of the server span.
 * Returns how many LLM calls were made.
 */
export async function runConversations(
  tracer: Tracer,
  chat: (messages: ChatTurn[]) => Promise<string>,
  options: { round?: string } = {},
): Promise<number> {
  let calls = 0;
  for (const [index, conversation] of conversations.entries()) {
    const history: ChatTurn[] = [{ role: 'system', content: conversation.system }];
    for (const [turn, userText] of conversation.userTurns.entries()) {
      const content = options.round ? `${userText} (${options.round})` : userText;
      await inSpan(
        tracer,
        `POST ${conversation.route}`,
        {
          kind: SpanKind.SERVER,
          attributes: {
            'http.request.method': 'POST',
            'http.route': conversation.route,
            'url.path': conversation.route,
            'http.response.status_code': 200,
            'app.conversation.index': index,
            'app.turn': turn,
          },
        },
        async (server) => {
          await inSpan(tracer, 'load conversation history', { kind: SpanKind.INTERNAL }, async (load) => {
            load.setAttribute('db.system.name', 'postgresql');
            load.setAttribute('app.history.turns', history.length);
            load.addEvent('cache miss', { 'cache.key': `conversation:${index}` });
            if (turn === 0) load.setStatus({ code: SpanStatusCode.ERROR, message: 'no history yet' });
          });
          history.push({ role: 'user', content });
          const reply = await chat([...history]);
          history.push({ role: 'assistant', content: reply });
          server.addEvent('reply sent', { 'app.reply.length': reply.length });
          calls += 1;
        },
      );
    }
  }
  return calls;
}

export interface DeliveryReport {
  /** What semtel forwarded, by span identity. */
  received: Map<string, SpanWithContext>;
  /** GenAI spans (not from the app's own tracer) as semtel forwarded them. */
  genAi: SpanWithContext[];
  /** The app's own spans as semtel forwarded them. */
  plain: SpanWithContext[];
}

/**
 * Waits until semtel delivered as many spans as the SDK exported and checks delivery: the same
 * span identities exactly once (none lost, none extra), every non-GenAI span and its resource
 * and scope equal to what the SDK sent, and every GenAI span equal to it apart from semtel's
 * own attributes and evaluation events.
 */
export async function checkDelivery(app: SentTelemetry, sink: OtlpSink, timeoutMs: number): Promise<DeliveryReport> {
  const exportedKeys = app.exportedSpanKeys();
  const sent = exportedKeys.length;
  await app.reference.waitForSpans(sent, timeoutMs);
  await sink.waitForSpans(sent, timeoutMs);
  // A little longer, so that an extra (duplicated) span would be seen.
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(sink.spanCount).toBe(sent);
  expect(app.reference.spanCount).toBe(sent);
  const reference = indexSpans(app.reference.spans());
  const received = indexSpans(sink.spans());
  expect([...received.keys()].sort()).toEqual([...reference.keys()].sort());
  expect([...exportedKeys].sort()).toEqual([...reference.keys()].sort());
  const genAi: SpanWithContext[] = [];
  const plain: SpanWithContext[] = [];
  for (const [key, sentSpan] of reference) {
    const forwarded = received.get(key) as SpanWithContext;
    expect(forwarded.resource).toEqual(sentSpan.resource);
    expect(forwarded.resourceSchemaUrl).toBe(sentSpan.resourceSchemaUrl);
    expect(forwarded.scope).toEqual(sentSpan.scope);
    expect(forwarded.scopeSchemaUrl).toBe(sentSpan.scopeSchemaUrl);
    if (sentSpan.scope.name === appScopeName) {
      expect(forwarded.span, `non-GenAI span ${sentSpan.span.name} changed`).toEqual(sentSpan.span);
      plain.push(forwarded);
    } else {
      expect(withoutEnrichment(forwarded.span), `GenAI span ${sentSpan.span.name} changed`).toEqual(sentSpan.span);
      genAi.push(forwarded);
    }
  }
  return { received, genAi, plain };
}

/** Log records semtel forwarded must equal what the SDK sent (the processor reads them, never changes them). */
export async function checkLogDelivery(app: AppTelemetry, sink: OtlpSink, timeoutMs: number): Promise<void> {
  const sent = app.logTee.exported.length;
  await app.reference.waitForLogRecords(sent, timeoutMs);
  await sink.waitForLogRecords(sent, timeoutMs);
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(sink.logRecordCount).toBe(sent);
  const order = (entries: ReturnType<OtlpSink['logRecords']>) =>
    entries
      .map((entry) => ({
        ...entry,
        sortKey: `${entry.logRecord.spanId}:${entry.logRecord.timeUnixNano}:${entry.logRecord.eventName}`,
      }))
      .sort((left, right) => (left.sortKey < right.sortKey ? -1 : left.sortKey > right.sortKey ? 1 : 0))
      .map(({ sortKey: _sortKey, ...entry }) => entry);
  expect(order(sink.logRecords())).toEqual(order(app.reference.logRecords()));
}
