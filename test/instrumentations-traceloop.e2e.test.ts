// End to end with a real client: `openai` instrumented by @traceloop/instrumentation-openai
// (OpenLLMetry; content on the span as gen_ai.input.messages / gen_ai.output.messages) →
// semtel (semantic processor classifying with a fake classifier LLM) → sink.
import { createRequire } from 'node:module';
import { SpanKind } from '@opentelemetry/api';
import type { OpenAIInstrumentation as OpenAIInstrumentationType } from '@traceloop/instrumentation-openai';
import { defaultTaxonomy } from '@semtel/classifier';
import { FakeOpenAiServer } from '@semtel/testing';
import type OpenAIModule from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClassificationStack } from './support/classification-stack.js';
import { classifierModel, startClassificationStack } from './support/classification-stack.js';
import type { AppTelemetry, ChatTurn } from './support/instrumented-app.js';
import { checkDelivery, runConversations, startAppTelemetry } from './support/instrumented-app.js';
import { labelProblems, semtelStatus } from './support/semantic-assertions.js';

// OpenLLMetry patches `openai` through a require hook: enable it, then require the client.
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
  app = await startAppTelemetry(stack, 'chat-app-openllmetry');
  const { OpenAIInstrumentation } = require('@traceloop/instrumentation-openai') as {
    OpenAIInstrumentation: typeof OpenAIInstrumentationType;
  };
  instrumentation = new OpenAIInstrumentation({ enabled: false, traceContent: true });
  instrumentation.setTracerProvider(app.tracerProvider);
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

describe('@traceloop/instrumentation-openai → semtel → sink', () => {
  it('labels every GenAI span and forwards everything else unchanged, span for span', async () => {
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
    await app.flush();

    const report = await checkDelivery(app, stack.sink, 30_000);
    expect(report.genAi).toHaveLength(calls + 1);
    expect(report.plain.length).toBe(calls * 2 + 1);
    for (const { span } of report.genAi) {
      expect(semtelStatus(span), `${span.name}: ${stack.logger.problems()}`).toMatch(/^(classified|cached)$/);
      expect(labelProblems(span, taxonomy, { model: classifierModel }), span.name).toEqual([]);
    }
    expect(stack.classifierLlm.modelRequests.length).toBeGreaterThan(0);
    for (const request of stack.classifierLlm.modelRequests) expect(request.responseFormat).toBe('json_schema');
    // Semtel's own LLM calls go to the classifier LLM only and produce no telemetry of their own.
    expect(appLlm.modelRequests).toHaveLength(calls + 1);
  });
});
