#!/usr/bin/env node
// Captures GenAI fixtures from the real npm instrumentation packages.
//   node test/capture-genai/capture.mjs            # every producer, each in its own process
//   node test/capture-genai/capture.mjs <producer> # one producer
// Each producer calls a loopback fake OpenAI server and writes the OTLP/JSON request bodies the
// SDK exported to packages/genai/fixtures/<producer>.json.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { fileURLToPath } from 'node:url';
import { runChatConversation, runResponsesConversation } from './conversation.mjs';
import { startFakeOpenAi } from './fake-openai-server.mjs';
import { packageVersion, startOtelSdk, writeFixture } from './otlp-capture.mjs';
import { producers as vercelProducers } from './vercel-ai.mjs';
import { captureLangfuse } from './langfuse.mjs';

const require = createRequire(import.meta.url);

function sdkPackages() {
  return {
    '@opentelemetry/sdk-trace-node': packageVersion('@opentelemetry/sdk-trace-node'),
    '@opentelemetry/sdk-logs': packageVersion('@opentelemetry/sdk-logs'),
    '@opentelemetry/exporter-trace-otlp-http': packageVersion('@opentelemetry/exporter-trace-otlp-http'),
    '@opentelemetry/exporter-logs-otlp-http': packageVersion('@opentelemetry/exporter-logs-otlp-http'),
  };
}

/** Runs `conversation` through an instrumented `openai` client loaded with require, so the instrumentation's require hook patches it. */
async function captureOpenAiInstrumentation({
  name,
  instrumentationPackage,
  openaiPackage = 'openai',
  manual = false,
  environment,
  createInstrumentation,
  conversation,
  description,
  wrap,
}) {
  Object.assign(process.env, environment);
  const fake = await startFakeOpenAi();
  const sdk = await startOtelSdk(`capture-${name}`);
  const instrumentation = createInstrumentation();
  instrumentation.setTracerProvider(sdk.tracerProvider);
  if (typeof instrumentation.setLoggerProvider === 'function') instrumentation.setLoggerProvider(sdk.loggerProvider);
  // Without a meter provider @opentelemetry/instrumentation-openai has no instruments and skips its result telemetry.
  instrumentation.setMeterProvider(new MeterProvider());
  instrumentation.enable();
  const { OpenAI } = require(openaiPackage);
  // An aliased openai is not seen by the require hook (it matches the name `openai`), so patch it directly.
  if (manual) instrumentation.manuallyInstrument(OpenAI);
  const client = new OpenAI({ baseURL: fake.baseUrl, apiKey: 'sk-fixture', maxRetries: 0 });
  for (const run of conversation) await (wrap ? wrap(() => run(client)) : run(client));
  const requests = await sdk.finish();
  await fake.close();
  writeFixture(name, {
    producer: name,
    description,
    packages: {
      [instrumentationPackage]: packageVersion(instrumentationPackage),
      openai: packageVersion(openaiPackage),
      ...sdkPackages(),
    },
    environment,
    node: process.version,
    requests,
  });
}

const producers = {
  'opentelemetry-instrumentation-openai': () =>
    captureOpenAiInstrumentation({
      name: 'opentelemetry-instrumentation-openai',
      instrumentationPackage: '@opentelemetry/instrumentation-openai',
      description:
        'Chat Completions (semconv 1.36: span + gen_ai.*.message / gen_ai.choice LOG records) and the Responses API (gen_ai.client.inference.operation.details log records with structured gen_ai.input/output.messages).',
      environment: { OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true' },
      createInstrumentation: () => {
        const { OpenAIInstrumentation } = require('@opentelemetry/instrumentation-openai');
        return new OpenAIInstrumentation({ enabled: false });
      },
      conversation: [runChatConversation, runResponsesConversation],
    }),
  'traceloop-instrumentation-openai': () =>
    captureOpenAiInstrumentation({
      name: 'traceloop-instrumentation-openai',
      instrumentationPackage: '@traceloop/instrumentation-openai',
      description: 'OpenLLMetry-js: OTel semconv with gen_ai.input.messages / gen_ai.output.messages as JSON strings.',
      environment: {},
      createInstrumentation: () => {
        const { OpenAIInstrumentation } = require('@traceloop/instrumentation-openai');
        return new OpenAIInstrumentation({ enabled: false, traceContent: true });
      },
      conversation: [runChatConversation, runResponsesConversation],
    }),
  'traceloop-instrumentation-openai-legacy': () =>
    captureOpenAiInstrumentation({
      name: 'traceloop-instrumentation-openai-legacy',
      instrumentationPackage: 'traceloop-instrumentation-openai-legacy',
      openaiPackage: 'openai-v5',
      manual: true,
      description:
        'OpenLLMetry-js before its semconv migration (@traceloop/instrumentation-openai 0.22.5 with openai 5, both installed under aliases): flattened gen_ai.prompt.{i}.* / gen_ai.completion.{i}.* attributes. Chat Completions only (that version has no Responses API support).',
      environment: {},
      createInstrumentation: () => {
        const { OpenAIInstrumentation } = require('traceloop-instrumentation-openai-legacy');
        return new OpenAIInstrumentation({ enabled: false, traceContent: true });
      },
      conversation: [runChatConversation],
    }),
  'openinference-instrumentation-openai': async () => {
    const { context } = await import('@opentelemetry/api');
    const { setSession, setUser } = require('@arizeai/openinference-core');
    return captureOpenAiInstrumentation({
      name: 'openinference-instrumentation-openai',
      instrumentationPackage: '@arizeai/openinference-instrumentation-openai',
      description:
        'OpenInference: llm.input_messages.* / llm.output_messages.* flattened, input.value / output.value JSON, session.id and user.id from context.',
      environment: {},
      createInstrumentation: () => {
        const { OpenAIInstrumentation } = require('@arizeai/openinference-instrumentation-openai');
        return new OpenAIInstrumentation({ enabled: false });
      },
      conversation: [runChatConversation, runResponsesConversation],
      wrap: (run) =>
        context.with(setUser(setSession(context.active(), { sessionId: 'session-42' }), { userId: 'user-7' }), run),
    });
  },
  ...vercelProducers(sdkPackages),
  langfuse: () => captureLangfuse(sdkPackages),
};

const requested = process.argv[2];
if (requested) {
  const producer = producers[requested];
  if (!producer) throw new Error(`unknown producer ${requested}; known: ${Object.keys(producers).join(', ')}`);
  await producer();
} else {
  for (const name of Object.keys(producers)) {
    const result = spawnSync(process.execPath, [fileURLToPath(import.meta.url), name], {
      stdio: 'inherit',
      timeout: 120_000,
    });
    if (result.status !== 0) throw new Error(`capturing ${name} failed (${result.status ?? result.signal})`);
  }
}
