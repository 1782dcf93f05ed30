// End to end with a real client: the Vercel AI SDK v6 (`ai` 6 + `@ai-sdk/openai` 3) with
// `experimental_telemetry` (ai.* spans: ai.generateText / ai.streamText and their doGenerate /
// doStream children) → semtel (semantic processor, fake classifier LLM) → sink.
//
// ai 7 moves telemetry into `@ai-sdk/otel` and needs Node 22: its OpenTelemetry integration (scope
// `gen_ai`, semconv attributes) is tested by instrumentations-vercel-ai-v7.e2e.test.ts in a Node 22
// child process; its LegacyOpenTelemetry integration keeps the v6 format exercised here.
import { createOpenAI } from '@ai-sdk/openai';
import { defaultTaxonomy } from '@semtel/classifier';
import { getStringAttribute } from '@semtel/pdata';
import { FakeOpenAiServer } from '@semtel/testing';
import { generateText, streamText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClassificationStack } from './support/classification-stack.js';
import { classifierModel, startClassificationStack } from './support/classification-stack.js';
import type { AppTelemetry, ChatTurn } from './support/instrumented-app.js';
import { checkDelivery, runConversations, startAppTelemetry } from './support/instrumented-app.js';
import { labelProblems, semtelStatus } from './support/semantic-assertions.js';

const taxonomy = defaultTaxonomy();
const appApiKey = 'sk-e2e-app-llm';

let stack: ClassificationStack;
let appLlm: FakeOpenAiServer;
let app: AppTelemetry;

beforeAll(async () => {
  stack = await startClassificationStack();
  appLlm = await FakeOpenAiServer.start({ apiKey: appApiKey });
  app = await startAppTelemetry(stack, 'chat-app-vercel-ai');
});

afterAll(async () => {
  await app?.shutdown();
  await stack?.close();
  await appLlm?.close();
});

describe('Vercel AI SDK v6 experimental_telemetry → semtel → sink', () => {
  it('labels every ai.* span with content and forwards everything else unchanged, span for span', async () => {
    const openai = createOpenAI({ baseURL: appLlm.baseUrl, apiKey: appApiKey });
    const telemetry = {
      isEnabled: true,
      functionId: 'support-assistant',
      metadata: { sessionId: 'session-42', userId: 'user-7' },
      tracer: app.tracerProvider.getTracer('ai'),
    };
    let streamed = 0;
    const chat = async (messages: ChatTurn[]): Promise<string> => {
      const [system, ...turns] = messages;
      // Every other call streams, so both ai.generateText and ai.streamText span shapes arrive.
      if (streamed++ % 2 === 1) {
        const result = streamText({
          model: openai.chat('gpt-4o-mini'),
          system: system?.content,
          messages: turns as { role: 'user' | 'assistant'; content: string }[],
          experimental_telemetry: telemetry,
        });
        return await result.text;
      }
      const result = await generateText({
        model: openai.chat('gpt-4o-mini'),
        system: system?.content,
        messages: turns as { role: 'user' | 'assistant'; content: string }[],
        temperature: 0.3,
        experimental_telemetry: telemetry,
      });
      return result.text;
    };
    const calls = await runConversations(app.tracer, chat);
    // One call through the Responses API model with a plain prompt.
    await generateText({
      model: openai.responses('gpt-4o-mini'),
      system: 'You summarise support tickets for the on-call engineer.',
      prompt: 'Summarise: the checkout page returns HTTP 502 after the deploy of version 2.3.0; rollback fixed it.',
      experimental_telemetry: { ...telemetry, functionId: 'ticket-summary' },
    });
    expect(appLlm.modelRequests).toHaveLength(calls + 1);
    await app.flush();

    const report = await checkDelivery(app, stack.sink, 30_000);
    // Each call is an outer ai.generateText / ai.streamText span and one do* child per step.
    expect(report.genAi).toHaveLength((calls + 1) * 2);
    expect(report.plain.length).toBe(calls * 2);
    for (const { span } of report.genAi) {
      expect(getStringAttribute(span.attributes, 'ai.operationId'), span.name).toMatch(/^ai\./);
      expect(semtelStatus(span), `${span.name}: ${stack.logger.problems()}`).toMatch(/^(classified|cached)$/);
      expect(labelProblems(span, taxonomy, { model: classifierModel }), span.name).toEqual([]);
    }
    expect(stack.classifierLlm.modelRequests.length).toBeGreaterThan(0);
    for (const request of stack.classifierLlm.modelRequests) expect(request.responseFormat).toBe('json_schema');
    expect(appLlm.modelRequests).toHaveLength(calls + 1);
  });
});
