// End to end with a real client: `openai` instrumented by
// @arizeai/openinference-instrumentation-openai (flattened llm.input_messages.* attributes) →
// semtel (semantic processor classifying with a fake classifier LLM) → sink.
import { createRequire } from 'node:module';
import { context, SpanKind } from '@opentelemetry/api';
import { setSession, setUser } from '@arizeai/openinference-core';
import type { OpenAIInstrumentation as OpenAIInstrumentationType } from '@arizeai/openinference-instrumentation-openai';
import { defaultTaxonomy } from '@semtel/classifier';
import { getStringAttribute } from '@semtel/pdata';
import { FakeOpenAiServer } from '@semtel/testing';
import type OpenAIModule from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClassificationStack } from './support/classification-stack.js';
import { classifierModel, startClassificationStack } from './support/classification-stack.js';
import type { AppTelemetry, ChatTurn } from './support/instrumented-app.js';
import { checkDelivery, runConversations, startAppTelemetry } from './support/instrumented-app.js';
import { labelProblems, semtelStatus } from './support/semantic-assertions.js';

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
  app = await startAppTelemetry(stack, 'chat-app-openinference');
  const { OpenAIInstrumentation } = require('@arizeai/openinference-instrumentation-openai') as {
    OpenAIInstrumentation: typeof OpenAIInstrumentationType;
  };
  instrumentation = new OpenAIInstrumentation({ tracerProvider: app.tracerProvider });
  // The client module is patched directly (the pattern for bundled or ESM-loaded clients).
  const { OpenAI } = require('openai') as { OpenAI: typeof OpenAIModule };
  instrumentation.manuallyInstrument(OpenAI as never);
  client = new OpenAI({ baseURL: appLlm.baseUrl, apiKey: appApiKey, maxRetries: 0 });
});

afterAll(async () => {
  instrumentation?.disable();
  await app?.shutdown();
  await stack?.close();
  await appLlm?.close();
});

async function chat(messages: ChatTurn[]): Promise<string> {
  // OpenInference records the session and user from the context onto the span.
  const scoped = setUser(setSession(context.active(), { sessionId: 'session-42' }), { userId: 'user-7' });
  const completion = await context.with(scoped, () =>
    client.chat.completions.create({ model: 'gpt-4o-mini', messages, temperature: 0.3 }),
  );
  return completion.choices[0]?.message.content ?? '';
}

describe('@arizeai/openinference-instrumentation-openai → semtel → sink', () => {
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
      expect(getStringAttribute(span.attributes, 'openinference.span.kind')).toBe('LLM');
      expect(semtelStatus(span), `${span.name}: ${stack.logger.problems()}`).toMatch(/^(classified|cached)$/);
      expect(labelProblems(span, taxonomy, { model: classifierModel }), span.name).toEqual([]);
    }
    expect(stack.classifierLlm.modelRequests.length).toBeGreaterThan(0);
    for (const request of stack.classifierLlm.modelRequests) expect(request.responseFormat).toBe('json_schema');
    expect(appLlm.modelRequests).toHaveLength(calls + 1);
  });
});
