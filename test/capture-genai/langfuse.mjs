// Langfuse JS SDK (`@langfuse/tracing` + `@langfuse/otel`): an agent observation wrapping two
// generation observations (tool call, then answer) around plain openai calls, with session and
// user propagated. LangfuseSpanProcessor exports to the capture server as if it were Langfuse
// (`/api/public/otel/v1/traces`), so the fixture is the payload Langfuse would ingest.
import { createRequire } from 'node:module';
import { chatTools, earlierTurns, systemPrompt, weatherToolResult } from './conversation.mjs';
import { startFakeOpenAi } from './fake-openai-server.mjs';
import { packageVersion, startOtelSdk, writeFixture } from './otlp-capture.mjs';

const require = createRequire(import.meta.url);

export async function captureLangfuse(sdkPackages) {
  const { propagateAttributes, setLangfuseTracerProvider, startActiveObservation } = await import('@langfuse/tracing');
  const { LangfuseSpanProcessor } = await import('@langfuse/otel');
  const fake = await startFakeOpenAi();
  const sdk = await startOtelSdk('capture-langfuse', {
    spanProcessors: (baseUrl) => [
      new LangfuseSpanProcessor({
        publicKey: 'pk-lf-fixture',
        secretKey: 'sk-lf-fixture',
        baseUrl,
        exportMode: 'batched',
      }),
    ],
  });
  setLangfuseTracerProvider(sdk.tracerProvider);
  const { OpenAI } = require('openai');
  const client = new OpenAI({ baseURL: fake.baseUrl, apiKey: 'sk-fixture', maxRetries: 0 });

  const generate = (messages) =>
    startActiveObservation(
      'chat gpt-4o-mini',
      async (generation) => {
        generation.update({ input: messages, model: 'gpt-4o-mini', modelParameters: { temperature: 0.2 } });
        const completion = await client.chat.completions.create({
          model: 'gpt-4o-mini',
          messages,
          tools: chatTools,
          temperature: 0.2,
        });
        generation.update({
          output: completion.choices[0].message,
          usageDetails: { input: completion.usage.prompt_tokens, output: completion.usage.completion_tokens },
        });
        return completion.choices[0].message;
      },
      { asType: 'generation' },
    );

  await propagateAttributes({ sessionId: 'session-42', userId: 'user-7' }, () =>
    startActiveObservation(
      'travel-agent',
      async (agent) => {
        agent.update({ input: earlierTurns.at(-1).content });
        const messages = [{ role: 'system', content: systemPrompt }, ...earlierTurns];
        const toolRequest = await generate(messages);
        const answer = await generate([
          ...messages,
          toolRequest,
          { role: 'tool', tool_call_id: toolRequest.tool_calls[0].id, content: weatherToolResult },
        ]);
        agent.update({ output: answer.content });
      },
      { asType: 'agent' },
    ),
  );
  const requests = await sdk.finish();
  await fake.close();
  writeFixture('langfuse', {
    producer: 'langfuse',
    description:
      'A Langfuse agent observation wrapping two generation observations (langfuse.observation.input/output JSON, model, usage_details) with session and user propagated.',
    packages: {
      '@langfuse/tracing': packageVersion('@langfuse/tracing'),
      '@langfuse/otel': packageVersion('@langfuse/otel'),
      openai: packageVersion('openai'),
      ...sdkPackages(),
    },
    environment: {},
    node: process.version,
    requests,
  });
}
