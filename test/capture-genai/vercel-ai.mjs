// Vercel AI SDK producers. v6 (`ai` 6.x + `@ai-sdk/openai` 3.x) and v5 (`ai` 5.x + `@ai-sdk/openai`
// 2.x, installed under aliases) keep the `ai.*` span format with scope `ai`. ai 7 with
// `@ai-sdk/otel` needs Node 22, so it is not captured on this Node 20 machine.
import { earlierTurns, systemPrompt, weatherToolResult } from './conversation.mjs';
import { startFakeOpenAi } from './fake-openai-server.mjs';
import { packageVersion, startOtelSdk, writeFixture } from './otlp-capture.mjs';

async function captureVercel({ name, aiPackage, providerPackage, description }, sdkPackages) {
  const { generateText, tool, stepCountIs } = await import(aiPackage);
  const { createOpenAI } = await import(providerPackage);
  const { z } = await import('zod');
  const fake = await startFakeOpenAi();
  const sdk = await startOtelSdk(`capture-${name}`);
  const tracer = sdk.tracerProvider.getTracer('ai');
  const openai = createOpenAI({ baseURL: fake.baseUrl, apiKey: 'sk-fixture' });
  const telemetry = {
    isEnabled: true,
    functionId: 'travel-assistant',
    metadata: { sessionId: 'session-42', userId: 'user-7' },
    tracer,
  };
  const result = await generateText({
    model: openai.chat('gpt-4o-mini'),
    system: systemPrompt,
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
    experimental_telemetry: telemetry,
  });
  if (!result.text) throw new Error('the tool loop did not finish with text');
  await generateText({
    model: openai.responses('gpt-4o-mini'),
    system: systemPrompt,
    prompt: 'Suggest one museum in Paris for a rainy afternoon.',
    experimental_telemetry: { ...telemetry, functionId: 'museum-tip' },
  });
  const requests = await sdk.finish();
  await fake.close();
  writeFixture(name, {
    producer: name,
    description,
    packages: { ai: packageVersion(aiPackage), '@ai-sdk/openai': packageVersion(providerPackage), ...sdkPackages() },
    environment: {},
    node: process.version,
    requests,
  });
}

export function producers(sdkPackages) {
  return {
    'vercel-ai-v6': () =>
      captureVercel(
        {
          name: 'vercel-ai-v6',
          aiPackage: 'ai',
          providerPackage: '@ai-sdk/openai',
          description:
            'generateText with a tool loop over chat completions (ai.generateText → ai.generateText.doGenerate ×2 + ai.toolCall) and one over the Responses API with a plain prompt.',
        },
        sdkPackages,
      ),
    'vercel-ai-v5': () =>
      captureVercel(
        {
          name: 'vercel-ai-v5',
          aiPackage: 'ai-v5',
          providerPackage: 'ai-sdk-openai-v2',
          description: 'The same two calls with ai 5 (promptTokens-era usage attributes differ).',
        },
        sdkPackages,
      ),
  };
}
