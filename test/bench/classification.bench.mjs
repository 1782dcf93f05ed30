#!/usr/bin/env node
// Classification benchmark: the same interactions through two modes in one run, against the
// fake OpenAI-compatible server, and the tokens and requests each costs.
//
//   (a) batched: GenAI spans → a running semtel (startService, in process) whose semantic processor
//       runs at its defaults (read from the processor's config schema: batch.max_tokens, max_items,
//       max_wait, item.max_tokens)
//       and classifies every enabled dimension of every item in one request per batch;
//   (b) naive: one request per interaction per dimension, built with the same prompt pieces
//       (the classifier package's prompt for a taxonomy with only that dimension enabled), sent through
//       the same llm-openai client.
//
// Token counts are the fake's recorded `usage` (o200k_base over the prompt, schema included; cached
// tokens simulate OpenAI prefix caching). Needs a build (`npx tsc -b`).
//
// The instruction overhead is printed twice: the system message alone, and every non-content prompt
// token (system message, strict output JSON schema, item delimiters and framing). Providers bill the
// schema and the framing as prompt tokens too, so the second is the honest figure for the target.
//
//   node test/bench/classification.bench.mjs [--interactions 200] [--seed 20250301] [--concurrency 8]
//                                            [--batch-max-tokens N] [--batch-max-items N]
//
// The two --batch flags change mode (a) only, to see how the overhead moves away from the defaults.
//
// Benchmarks measure; they never assert.
import { cpus, platform, release, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { buildInstructions, countTokens, defaultTaxonomy, enabledDimensions } from '@semtel/classifier';
import { extractInteraction } from '@semtel/genai';
import { OpenAiClassifier } from '@semtel/llm-openai';
import { encodeTraces } from '@semtel/otlp';
import { createScope, createSpan, SpanKind } from '@semtel/pdata';
import { createSemanticProcessorConfigSchema, renderTranscript } from '@semtel/processor-semantic';
import { startService } from '@semtel/service';
import { buildResource, FakeOpenAiServer, OtlpSink, randomSpanId, randomTraceId } from '@semtel/testing';
import { z } from 'zod';
import { generateInteractions } from './classification-interactions.mjs';
import { closeSenders, postProtobuf } from './semtel-child.mjs';

const defaults = createSemanticProcessorConfigSchema(z.unknown()).parse({});

// `pnpm bench:… -- --flag` passes the `--` on; it is not an argument.
const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((argument) => argument !== '--'),
  options: {
    interactions: { type: 'string', default: '200' },
    seed: { type: 'string', default: '20250301' },
    concurrency: { type: 'string', default: '8' },
    'batch-max-tokens': { type: 'string', default: String(defaults.batch.max_tokens) },
    'batch-max-items': { type: 'string', default: String(defaults.batch.max_items) },
  },
});
const interactionCount = Number(args.interactions);
const naiveConcurrency = Number(args.concurrency);
const batch = { max_tokens: Number(args['batch-max-tokens']), max_items: Number(args['batch-max-items']) };
const defaultBatch = batch.max_tokens === defaults.batch.max_tokens && batch.max_items === defaults.batch.max_items;
const apiKey = 'sk-bench-classification';
const model = 'gpt-4o-mini';
// The processor's default per-item budget; the naive mode truncates the same way so both send the same text.
const itemMaxTokens = defaults.item.max_tokens;
const taxonomy = defaultTaxonomy();
const dimensions = enabledDimensions(taxonomy);
const genAiScope = createScope('@opentelemetry/instrumentation-openai', '0.21.0');

// ---------------------------------------------------------------- interactions as GenAI spans
const interactions = generateInteractions(interactionCount, Number(args.seed));
const spans = interactions.map((interaction) => {
  const start = BigInt(Date.now()) * 1_000_000n;
  const parts = (message) => ({ role: message.role, parts: [{ type: 'text', content: message.text }] });
  return createSpan({
    traceId: randomTraceId(),
    spanId: randomSpanId(),
    name: `chat ${model}`,
    kind: SpanKind.CLIENT,
    startTimeUnixNano: start,
    endTimeUnixNano: start + 900_000_000n,
    attributes: [
      { key: 'gen_ai.operation.name', value: 'chat' },
      { key: 'gen_ai.provider.name', value: 'openai' },
      { key: 'gen_ai.request.model', value: model },
      { key: 'gen_ai.system_instructions', value: JSON.stringify([{ type: 'text', content: interaction.system }]) },
      { key: 'gen_ai.input.messages', value: JSON.stringify(interaction.messages.map(parts)) },
      {
        key: 'gen_ai.output.messages',
        value: JSON.stringify([{ ...parts(interaction.output), finish_reason: 'stop' }]),
      },
    ],
  });
});
// The transcripts exactly as the processor renders them: the interactions' own content.
const transcripts = spans.map((span) => {
  const interaction = extractInteraction(span, genAiScope, undefined);
  if (interaction === undefined) throw new Error(`span ${span.spanId} has no extractable interaction`);
  return renderTranscript(interaction, itemMaxTokens);
});
const contentTokens = transcripts.reduce((total, transcript) => total + transcript.tokens, 0);
const rawTokens = interactions.map((interaction) =>
  countTokens(
    [interaction.system, ...interaction.messages.map((message) => message.text), interaction.output.text].join('\n'),
  ),
);

function usageOf(fake) {
  const requests = fake.modelRequests;
  const sum = (pick) => requests.reduce((total, request) => total + (request.usage ? pick(request.usage) : 0), 0);
  return {
    requests: requests.length,
    failed: requests.filter((request) => request.status !== 200).length,
    input: sum((usage) => usage.promptTokens),
    output: sum((usage) => usage.completionTokens),
    cached: sum((usage) => usage.cachedTokens),
  };
}

// ---------------------------------------------------------------- (a) batched, through the service
async function runBatched() {
  const fake = await FakeOpenAiServer.start({ apiKey });
  const sink = await OtlpSink.start({ retainData: true });
  const config = {
    receivers: { otlp: { protocols: { http: { endpoint: '127.0.0.1:0' } } } },
    processors: {
      semantic: {
        llm: { base_url: fake.baseUrl, api_key: '${env:BENCH_KEY}', model },
        ...(defaultBatch ? {} : { batch }),
      },
    },
    exporters: { otlp_http: { endpoint: sink.httpEndpoint, compression: 'none' } },
    service: {
      // As recommended: the processor also sees the logs pipeline (log-borne GenAI content joins there).
      pipelines: {
        traces: { receivers: ['otlp'], processors: ['semantic'], exporters: ['otlp_http'] },
        logs: { receivers: ['otlp'], processors: ['semantic'], exporters: ['otlp_http'] },
      },
      telemetry: { metrics: { level: 'none' }, logs: { level: 'warn' } },
    },
  };
  const service = await startService({ config: JSON.stringify(config), env: { BENCH_KEY: apiKey } });
  const endpoint = `http://${service.addresses.receivers.otlp.http}/v1/traces`;
  const started = performance.now();
  try {
    // As an app's batch span processor would: requests of 20 spans, one after another.
    for (let offset = 0; offset < spans.length; offset += 20) {
      const traces = {
        resourceSpans: [
          {
            resource: buildResource('bench-chat-app'),
            schemaUrl: '',
            scopeSpans: [{ scope: genAiScope, spans: spans.slice(offset, offset + 20), schemaUrl: '' }],
          },
        ],
      };
      const status = await postProtobuf(endpoint, encodeTraces(traces, 'protobuf'), 10_000);
      if (status !== 200) throw new Error(`semtel answered ${status}`);
    }
    await sink.waitForSpans(spans.length, 120_000);
    const elapsedMs = performance.now() - started;
    const statuses = {};
    for (const { span } of sink.spans()) {
      const status = span.attributes.find((attribute) => attribute.key === 'semtel.status')?.value ?? 'none';
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
    const schemas = fake.modelRequests.map((request) => request.body?.response_format?.json_schema?.schema);
    const batchSizes = schemas.map((schema) => schema?.required?.length ?? 0);
    const schemaTokens = schemas.reduce(
      (total, schema) => total + (schema ? countTokens(JSON.stringify(schema)) : 0),
      0,
    );
    return { ...usageOf(fake), elapsedMs, statuses, batchSizes, schemaTokens };
  } finally {
    await service.shutdown();
    await sink.close();
    await fake.close();
  }
}

// ---------------------------------------------------------------- (b) naive, one request per interaction per dimension
async function runNaive() {
  const fake = await FakeOpenAiServer.start({ apiKey });
  const classifier = new OpenAiClassifier({ base_url: fake.baseUrl, api_key: apiKey, model, timeout: '30s' });
  const single = new Map(
    dimensions.map((dimension) => [
      dimension.name,
      {
        ...taxonomy,
        dimensions: taxonomy.dimensions.map((candidate) => ({
          ...candidate,
          enabled: candidate.name === dimension.name,
        })),
      },
    ]),
  );
  const jobs = transcripts.flatMap((transcript) =>
    dimensions.map((dimension) => ({ transcript: transcript.text, taxonomy: single.get(dimension.name) })),
  );
  let next = 0;
  let labelled = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      const outcome = await classifier.classify([{ id: 'i1', transcript: job.transcript }], job.taxonomy);
      labelled += outcome.labels.size;
    }
  };
  try {
    await Promise.all(Array.from({ length: naiveConcurrency }, worker));
    return { ...usageOf(fake), elapsedMs: performance.now() - started, labelled };
  } finally {
    await fake.close();
  }
}

// ---------------------------------------------------------------- report
const batched = await runBatched();
const naive = await runNaive();

const n = interactions.length;
const fixed = (value, digits = 1) => value.toFixed(digits);
const percent = (value) => `${(value * 100).toFixed(1)}%`;
const quantile = (values, q) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))];
const turnCounts = interactions.map(
  (interaction) => interaction.messages.filter((message) => message.role === 'user').length,
);

console.log(
  '# Classification benchmark: batched (semtel defaults) vs naive (one request per interaction per dimension)',
);
console.log(
  `machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${fixed(totalmem() / 2 ** 30)} GiB, ${platform()} ${release()}, Node ${process.version}`,
);
console.log(
  `taxonomy: default ${taxonomy.version}, ${dimensions.length} enabled dimensions (${dimensions.map((d) => d.name).join(', ')})`,
);
console.log(
  `interactions: ${n} (seed ${args.seed}); user turns 1–${Math.max(...turnCounts)} (mean ${fixed(turnCounts.reduce((a, b) => a + b, 0) / n)}); ` +
    `raw tokens p50 ${quantile(rawTokens, 0.5)} p90 ${quantile(rawTokens, 0.9)} max ${Math.max(...rawTokens)}; ` +
    `${transcripts.filter((transcript) => transcript.truncated).length} truncated to item.max_tokens ${itemMaxTokens}`,
);
console.log(
  `content tokens (rendered transcripts, what the interactions themselves cost): ${contentTokens} total, ${fixed(contentTokens / n)} per interaction`,
);
console.log('');

function row(name, result, contentCopies) {
  const total = result.input + result.output;
  const overhead = (result.input - contentTokens * contentCopies) / contentTokens;
  const uncachedOverhead = (result.input - result.cached - contentTokens * contentCopies) / contentTokens;
  console.log(`## ${name}`);
  console.log(
    `  LLM requests:                ${result.requests} (${fixed(result.requests / n, 3)} per interaction; ${result.failed} failed)`,
  );
  console.log(`  input tokens:                ${result.input} (${fixed(result.input / n)} per interaction)`);
  console.log(`  output tokens:               ${result.output} (${fixed(result.output / n)} per interaction)`);
  console.log(`  total tokens:                ${total} (${fixed(total / n)} per interaction)`);
  console.log(`  cached input tokens:         ${result.cached} (${percent(result.cached / result.input)} of input)`);
  console.log(
    `  non-content overhead:        ${percent(overhead)} of content tokens (input tokens that are not the interactions' content${contentCopies > 1 ? `, each sent ${contentCopies}×` : ''})`,
  );
  console.log(`  overhead, uncached part:     ${percent(uncachedOverhead)} of content tokens`);
  console.log(`  wall time:                   ${fixed(result.elapsedMs / 1000, 2)} s`);
  return total;
}

const batchedTotal = row(
  `(a) batched, ${defaultBatch ? 'semtel defaults' : 'NOT the defaults'} (batch.max_tokens ${batch.max_tokens}, max_items ${batch.max_items})`,
  batched,
  1,
);
const sizes = batched.batchSizes.filter((size) => size > 0);
const instructionTokensPerRequest = countTokens(buildInstructions(taxonomy));
const instructionTokens = instructionTokensPerRequest * batched.requests;
const nonContentTokens = batched.input - contentTokens;
const framingTokens = nonContentTokens - instructionTokens - batched.schemaTokens;
console.log(
  `  overhead breakdown:          instructions + taxonomy ${percent(instructionTokens / contentTokens)}, ` +
    `output JSON schema ${percent(batched.schemaTokens / contentTokens)}, item delimiters and framing ${percent(framingTokens / contentTokens)}`,
);
console.log(
  `  non-content tokens:          ${fixed(nonContentTokens / n)} per interaction, ${fixed(nonContentTokens / batched.requests)} per request ` +
    `(system message ${instructionTokensPerRequest}, schema ${fixed(batched.schemaTokens / batched.requests)}, framing ${fixed(framingTokens / batched.requests)})`,
);
console.log(
  `  items per request:           mean ${fixed(sizes.reduce((a, b) => a + b, 0) / Math.max(1, sizes.length))}, min ${Math.min(...sizes)}, max ${Math.max(...sizes)}`,
);
console.log(`  span statuses at the sink:   ${JSON.stringify(batched.statuses)}`);
console.log('');
const naiveTotal = row(
  `(b) naive, one request per interaction per dimension (${dimensions.length} per interaction)`,
  naive,
  dimensions.length,
);
console.log(`  labels returned:             ${naive.labelled} of ${n * dimensions.length}`);
console.log('');
console.log('## ratio naive / batched');
console.log(`  total tokens:  ${fixed(naiveTotal / batchedTotal, 2)}×  (target ≥ 5×)`);
console.log(`  input tokens:  ${fixed(naive.input / batched.input, 2)}×`);
console.log(`  output tokens: ${fixed(naive.output / batched.output, 2)}×`);
console.log(`  uncached input tokens: ${fixed((naive.input - naive.cached) / (batched.input - batched.cached), 2)}×`);
console.log(`  LLM requests:  ${fixed(naive.requests / batched.requests, 1)}×`);
console.log('');
console.log('## instruction overhead of the batched mode, as a fraction of the content tokens (target ≤ 25%)');
const verdict = (fraction) => (fraction <= 0.25 ? 'meets the target' : 'misses the target');
const systemOnly = instructionTokens / contentTokens;
const everything = nonContentTokens / contentTokens;
console.log(
  `  system message only (instructions + taxonomy):                           ${percent(systemOnly)}  ${verdict(systemOnly)}`,
);
console.log(
  `  every billed non-content prompt token (+ output JSON schema, item framing): ${percent(everything)}  ${verdict(everything)}` +
    ` (${percent((nonContentTokens - batched.cached) / contentTokens)} not served from the prompt cache)`,
);
console.log(
  '  The schema and the framing are prompt tokens the provider bills like the system message, so the second figure is the one to judge.',
);
closeSenders();
