// End to end with a real client: `openai` instrumented by @opentelemetry/instrumentation-openai
// (content capture on, so message content travels as LOG records) → semtel (traces and logs
// pipelines through the semantic processor, classifying with a fake classifier LLM) → sink.
import { createRequire } from 'node:module';
import { SpanKind } from '@opentelemetry/api';
import type { OpenAIInstrumentation as OpenAIInstrumentationType } from '@opentelemetry/instrumentation-openai';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { defaultTaxonomy } from '@semtel/classifier';
import { FakeOpenAiServer } from '@semtel/testing';
import type OpenAIModule from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClassificationStack } from './support/classification-stack.js';
import { classifierModel, startClassificationStack } from './support/classification-stack.js';
import type { AppTelemetry, ChatTurn } from './support/instrumented-app.js';
import { checkDelivery, checkLogDelivery, runConversations, startAppTelemetry } from './support/instrumented-app.js';
import { labelProblems, semtelStatus } from './support/semantic-assertions.js';

// The instrumentation patches `openai` through a require hook, so the app loads it with require
// after enabling it (as an app preloading `--require @opentelemetry/auto-instrumentations-node` does).
const require = createRequire(import.meta.url);
const taxonomy = defaultTaxonomy();
const appApiKey = 'sk-e2e-app-llm';

let stack: ClassificationStack;
let appLlm: FakeOpenAiServer;
let app: AppTelemetry;
let instrumentation: OpenAIInstrumentationType;
let client: OpenAIModule;

beforeAll(async () => {
  stack = await startClassificationStack();
  appLlm = await FakeOpenAiServer.start({ apiKey: appApiKey });
  app = await startAppTelemetry(stack, 'chat-app-otel-instrumentation');
  const { OpenAIInstrumentation } = require('@opentelemetry/instrumentation-openai') as {
    OpenAIInstrumentation: typeof OpenAIInstrumentationType;
  };
  instrumentation = new OpenAIInstrumentation({ enabled: false, captureMessageContent: true });
  instrumentation.setTracerProvider(app.tracerProvider);
  instrumentation.setLoggerProvider(app.loggerProvider);
  // Without a meter provider the instrumentation has no instruments and skips its result telemetry.
  instrumentation.setMeterProvider(new MeterProvider());
  instrumentation.enable();
  const { OpenAI } = require('openai') as { OpenAI: typeof OpenAIModule };
  client = new OpenAI({ baseURL: appLlm.baseUrl, apiKey: appApiKey, maxRetries: 0 });
});

afterAll(async () => {
  instrumentation?.disable();
  await app?.shutdown();
  await stack?.close();
  await appLlm?.close();
});

async function chat(messages: ChatTurn[]): Promise<string> {
  const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, temperature: 0.3 });
  return completion.choices[0]?.message.content ?? '';
}

describe('@opentelemetry/instrumentation-openai (content in log records) → semtel → sink', () => {
  it('labels every GenAI span from its joined log events and forwards everything else unchanged', async () => {
    const calls = await runConversations(app.tracer, chat);
    await app.tracer.startActiveSpan('POST /api/assistant/summary', { kind: SpanKind.SERVER }, async (span) => {
      await client.responses.create({
        model: 'gpt-4o-mini',
        instructions: 'You summarise support tickets for the on-call engineer.',
        input: 'Summarise: the checkout page returns HTTP 502 after the deploy of version 2.3.0; rollback fixed it.',
      });
      span.end();
    });
    expect(appLlm.modelRequests).toHaveLength(calls + 1);
    // The spans first, on a freshly started semtel: each span waits (up to join_wait) for the
    // log records that carry its content, and is classified once they arrive.
    await app.flush('spans-first');
    expect(app.logTee.exported.length).toBeGreaterThan(0);

    const report = await checkDelivery(app, stack.sink, 30_000);
    expect(report.genAi).toHaveLength(calls + 1);
    expect(report.plain.length).toBe(calls * 2 + 1);
    for (const { span } of report.genAi) {
      expect(semtelStatus(span), `${span.name}: ${stack.logger.problems()}`).toMatch(/^(classified|cached)$/);
      expect(labelProblems(span, taxonomy, { model: classifierModel }), span.name).toEqual([]);
    }
    await checkLogDelivery(app, stack.sink, 10_000);

    // Semtel's own classification calls went to the classifier LLM only, with structured output.
    expect(stack.classifierLlm.modelRequests.length).toBeGreaterThan(0);
    for (const request of stack.classifierLlm.modelRequests) {
      expect(request.responseFormat).toBe('json_schema');
      expect(request.status).toBe(200);
    }
    expect(appLlm.modelRequests).toHaveLength(calls + 1);
  });

  it('also joins log events that arrive before their span', async () => {
    const before = stack.sink.spanCount;
    const calls = await runConversations(app.tracer, chat, { round: 'second visit' });
    await app.flush('logs-first');
    const report = await checkDelivery(app, stack.sink, 30_000);
    const fresh = report.genAi.filter(({ span }) =>
      app.spanTee.exported
        .slice(before)
        .some((sent) => sent.spanContext().spanId === span.spanId && sent.spanContext().traceId === span.traceId),
    );
    expect(fresh).toHaveLength(calls);
    for (const { span } of fresh) {
      expect(semtelStatus(span), `${span.name}: ${stack.logger.problems()}`).toMatch(/^(classified|cached)$/);
      expect(labelProblems(span, taxonomy, { model: classifierModel }), span.name).toEqual([]);
    }
    await checkLogDelivery(app, stack.sink, 10_000);
  });
});
