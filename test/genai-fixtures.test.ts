/**
 * @semtel/genai against payloads captured from the real npm instrumentations
 * (packages/genai/fixtures, written by test/capture-genai/capture.mjs), decoded with the real
 * OTLP/JSON codec. Every producer recorded the same conversation, so the same request must give
 * the same normalised content and the same content key whichever producer sent it.
 */
import { readFileSync } from 'node:fs';
import type { ClassificationItem, ClassificationOutcome, Classifier, Taxonomy } from '@semtel/classifier';
import { defaultTaxonomy, LexicalClassifier } from '@semtel/classifier';
import { noopTelemetry } from '@semtel/component';
import type { Interaction } from '@semtel/genai';
import {
  extractInteraction,
  genAiEventSpanKey,
  interactionContentKey,
  isGenAiSpan,
  spanEventKey,
  spanReportsResponse,
} from '@semtel/genai';
import { decodeLogs, decodeTraces } from '@semtel/otlp';
import type { InstrumentationScope, LogRecord, Logs, Span, Traces } from '@semtel/pdata';
import { createResource, createScope, getStringAttribute, hasAttribute } from '@semtel/pdata';
import { renderTranscript, SemanticProcessor } from '@semtel/processor-semantic';
import { describe, expect, it } from 'vitest';

interface FixtureRequest {
  signal: string;
  body: unknown;
}

interface LoadedFixture {
  spans: { span: Span; scope: InstrumentationScope }[];
  logRecords: LogRecord[];
  joined: Map<string, LogRecord[]>;
}

function loadFixture(name: string): LoadedFixture {
  const fixture = JSON.parse(
    readFileSync(new URL(`../packages/genai/fixtures/${name}.json`, import.meta.url), 'utf8'),
  ) as { requests: FixtureRequest[] };
  const loaded: LoadedFixture = { spans: [], logRecords: [], joined: new Map() };
  for (const request of fixture.requests) {
    const body = new TextEncoder().encode(JSON.stringify(request.body));
    if (request.signal === 'traces') {
      for (const resourceSpans of decodeTraces(body, 'json').resourceSpans) {
        for (const scopeSpans of resourceSpans.scopeSpans) {
          for (const span of scopeSpans.spans) loaded.spans.push({ span, scope: scopeSpans.scope });
        }
      }
    } else if (request.signal === 'logs') {
      for (const resourceLogs of decodeLogs(body, 'json').resourceLogs) {
        for (const scopeLogs of resourceLogs.scopeLogs) loaded.logRecords.push(...scopeLogs.logRecords);
      }
    }
  }
  for (const record of loaded.logRecords) {
    const key = genAiEventSpanKey(record);
    if (key !== undefined) loaded.joined.set(key, [...(loaded.joined.get(key) ?? []), record]);
  }
  // Spans in start order, parents first on a tie: exporters batch them in end order.
  loaded.spans.sort(
    (left, right) =>
      Number(left.span.startTimeUnixNano - right.span.startTimeUnixNano) ||
      (right.span.parentSpanId === left.span.spanId ? -1 : left.span.parentSpanId === right.span.spanId ? 1 : 0),
  );
  return loaded;
}

/** The interactions of a fixture's GenAI spans, in start order, with the logs joined as the processor would. */
function interactionsOf(fixture: LoadedFixture): { span: Span; interaction: Interaction | undefined }[] {
  return fixture.spans
    .filter(({ span, scope }) => isGenAiSpan(span, scope))
    .map(({ span, scope }) => ({
      span,
      interaction: extractInteraction(span, scope, fixture.joined.get(spanEventKey(span))),
    }));
}

function defined(interactions: { interaction: Interaction | undefined }[]): Interaction[] {
  return interactions.map(({ interaction }) => {
    expect(interaction).toBeDefined();
    return interaction as Interaction;
  });
}

const taxonomy = defaultTaxonomy();

/** The lexical classifier, keeping every transcript it was given. */
class TranscriptRecorder implements Classifier {
  readonly model = 'lexical';
  readonly transcripts: string[] = [];
  private readonly lexical = new LexicalClassifier();

  classify(items: ClassificationItem[], taxonomyToUse: Taxonomy, signal?: AbortSignal): Promise<ClassificationOutcome> {
    this.transcripts.push(...items.map((item) => item.transcript));
    return this.lexical.classify(items, taxonomyToUse, signal);
  }
}

function tracesOf(spans: { span: Span; scope: InstrumentationScope }[]): Traces {
  return {
    resourceSpans: [
      {
        resource: createResource(),
        schemaUrl: '',
        scopeSpans: spans.map(({ span, scope }) => ({ scope, schemaUrl: '', spans: [span] })),
      },
    ],
  };
}

function spansOf(traces: Traces): Span[] {
  return traces.resourceSpans.flatMap((resourceSpans) =>
    resourceSpans.scopeSpans.flatMap((scopeSpans) => scopeSpans.spans),
  );
}

function logsOf(records: LogRecord[]): Logs {
  const scope = createScope('@opentelemetry/instrumentation-openai', '0.21.0');
  return {
    resourceLogs: [
      { resource: createResource(), schemaUrl: '', scopeLogs: [{ scope, schemaUrl: '', logRecords: records }] },
    ],
  };
}

const systemPrompt = 'You are a concise travel assistant. Use the weather tool for weather questions.';
const earlierTurns = [
  { role: 'user', text: 'Hi! I am planning a weekend in Paris.' },
  { role: 'assistant', text: 'Lovely! How can I help with your Paris weekend?' },
  { role: 'user', text: 'What is the weather like in Paris right now?' },
];
const answer = 'It is rainy and 14°C in Paris right now, so pack an umbrella.';
/** The first model call: the history, answered by a tool call. */
const toolRequest = {
  systemInstructions: [systemPrompt],
  messages: earlierTurns,
  output: [{ role: 'assistant', text: '[tool_call get_weather]' }],
};
/** The second model call: the history with the tool call and its result, answered in text. */
const toolAnswer = {
  systemInstructions: [systemPrompt],
  messages: [
    ...earlierTurns,
    { role: 'assistant', text: '[tool_call get_weather]' },
    { role: 'tool', text: 'rainy, 14°C' },
  ],
  output: [{ role: 'assistant', text: answer }],
};
const toolRequestKey = interactionContentKey({ convention: 'expected', ...toolRequest });
const toolAnswerKey = interactionContentKey({ convention: 'expected', ...toolAnswer });

function content(interaction: Interaction): Pick<Interaction, 'systemInstructions' | 'messages' | 'output'> {
  return {
    systemInstructions: interaction.systemInstructions,
    messages: interaction.messages,
    output: interaction.output,
  };
}

describe('@opentelemetry/instrumentation-openai (content in log records)', () => {
  const fixture = loadFixture('opentelemetry-instrumentation-openai');

  it('joins the per-message log events to chat spans and the details events to Responses spans', () => {
    const interactions = defined(interactionsOf(fixture));
    expect(interactions.map((interaction) => interaction.convention)).toEqual([
      'otel_events',
      'otel_events',
      'otel_latest',
      'otel_latest',
    ]);
    expect(interactions.map(content)).toEqual([toolRequest, toolAnswer, toolRequest, toolAnswer]);
    expect(interactions.map(interactionContentKey)).toEqual([
      toolRequestKey,
      toolAnswerKey,
      toolRequestKey,
      toolAnswerKey,
    ]);
  });

  it('reads metadata from the span', () => {
    const [first] = defined(interactionsOf(fixture));
    expect(first).toMatchObject({
      model: 'gpt-4o-mini-2024-07-18',
      provider: 'openai',
      operation: 'chat',
      responseId: 'chatcmpl-fixture-1',
      usage: { inputTokens: 51, outputTokens: 17 },
    });
  });

  it('finds no content on the spans alone: it lives in the logs signal', () => {
    const genAiSpans = fixture.spans.filter(({ span, scope }) => isGenAiSpan(span, scope));
    expect(genAiSpans).toHaveLength(4);
    const withoutLogs = genAiSpans.map(({ span, scope }) => extractInteraction(span, scope));
    // The Responses spans keep only `gen_ai.system_instructions` on the span.
    expect(withoutLogs.slice(0, 2)).toEqual([undefined, undefined]);
    expect(withoutLogs[2]?.messages).toEqual([]);
    expect(withoutLogs[2]?.systemInstructions).toEqual([systemPrompt]);
  });

  it('keys every content log record to its span', () => {
    const keys = fixture.logRecords.map(genAiEventSpanKey);
    expect(keys.every((key) => key !== undefined)).toBe(true);
    const spanKeys = new Set(fixture.spans.map(({ span }) => spanEventKey(span)));
    expect(keys.every((key) => spanKeys.has(key as string))).toBe(true);
  });

  it('classifies each span with its answer when the answer records arrive after the span and the turns', async () => {
    const genAi = fixture.spans.filter(({ span, scope }) => isGenAiSpan(span, scope));
    // The span says the model answered, which is what makes semtel wait for the answer's records.
    expect(genAi.every(({ span }) => spanReportsResponse(span))).toBe(true);
    const isAnswer = (record: LogRecord): boolean =>
      record.eventName === 'gen_ai.choice' ||
      getStringAttribute(record.attributes, 'event.name') === 'gen_ai.choice' ||
      hasAttribute(record.attributes, 'gen_ai.output.messages');
    expect(fixture.logRecords.filter(isAnswer)).toHaveLength(genAi.length);
    const classifier = new TranscriptRecorder();
    const released: Span[] = [];
    const processor = new SemanticProcessor(
      {
        taxonomy,
        classifier,
        instructionTokens: 1500,
        batch: { maxTokens: 8000, maxItems: 20, maxWaitMs: 10 },
        itemMaxTokens: 1500,
        maxHoldMs: 10_000,
        joinWaitMs: 5000,
        maxHeldSpans: 100,
        maxConcurrency: 1,
        requestTimeoutMs: 5000,
        samplingRatio: 1,
        cache: { maxEntries: 100, ttlMs: 60_000 },
        maxAttempts: 1,
        enrichment: { prefix: 'semtel', evaluationEvents: false },
      },
      {
        traces: { consumeTraces: async (traces: Traces) => void released.push(...spansOf(traces)) },
        logs: { consumeLogs: async () => {} },
      },
      noopTelemetry,
    );
    try {
      await processor.consumeTraces(tracesOf(genAi));
      await processor.consumeLogs(logsOf(fixture.logRecords.filter((record) => !isAnswer(record))));
      await processor.consumeLogs(logsOf(fixture.logRecords.filter(isAnswer)));
      for (let attempt = 0; attempt < 500 && released.length < genAi.length; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    } finally {
      await processor.shutdown(AbortSignal.timeout(2000));
    }
    expect(released).toHaveLength(genAi.length);
    const expected = interactionsOf(fixture).map(
      ({ interaction }) => renderTranscript(interaction as Interaction, 1500).text,
    );
    // Two of the four spans repeat the other two's content: they join those jobs or hit the cache.
    expect(new Set(classifier.transcripts)).toEqual(new Set(expected));
    for (const span of released)
      expect(getStringAttribute(span.attributes, 'semtel.status')).toMatch(/^(classified|cached)$/);
  });
});

describe('@traceloop/instrumentation-openai 0.27 (semconv JSON strings)', () => {
  const fixture = loadFixture('traceloop-instrumentation-openai');

  it('reads gen_ai.input/output.messages JSON strings', () => {
    const interactions = defined(interactionsOf(fixture));
    expect(interactions.every((interaction) => interaction.convention === 'otel_latest')).toBe(true);
    expect(interactions.slice(0, 2).map(content)).toEqual([toolRequest, toolAnswer]);
    expect(interactions[1]).toMatchObject({
      provider: 'openai',
      responseId: 'chatcmpl-fixture-2',
      usage: { inputTokens: 52, outputTokens: 16 },
    });
  });

  it('keeps what the Responses API spans carry (0.27 records the input list as one text part)', () => {
    const interactions = defined(interactionsOf(fixture));
    expect(interactions[2]?.messages).toHaveLength(1);
    expect(interactions[2]?.messages[0]?.text).toContain('What is the weather like in Paris right now?');
    // The tool-call output is an empty text part: nothing to classify there.
    expect(interactions[2]?.output).toEqual([]);
    expect(interactions[3]?.output).toEqual([{ role: 'assistant', text: answer }]);
  });
});

describe('@traceloop/instrumentation-openai 0.22 (legacy flattened attributes)', () => {
  it('reads gen_ai.prompt.{i} / gen_ai.completion.{i} including tool calls', () => {
    const interactions = defined(interactionsOf(loadFixture('traceloop-instrumentation-openai-legacy')));
    expect(interactions.map((interaction) => interaction.convention)).toEqual(['openllmetry', 'openllmetry']);
    expect(content(interactions[0] as Interaction)).toEqual(toolRequest);
    // This version records the assistant tool-call turn as content "null" without its calls.
    expect(content(interactions[1] as Interaction)).toEqual({
      ...toolAnswer,
      messages: [...earlierTurns, { role: 'tool', text: 'rainy, 14°C' }],
    });
    expect(interactions[0]).toMatchObject({ provider: 'openai', operation: 'chat', usage: { inputTokens: 51 } });
  });
});

describe('@arizeai/openinference-instrumentation-openai', () => {
  it('reads flattened llm.input/output_messages, session and user', () => {
    const interactions = defined(interactionsOf(loadFixture('openinference-instrumentation-openai')));
    expect(interactions.map((interaction) => interaction.convention)).toEqual(Array(4).fill('openinference'));
    expect(interactions.map(content)).toEqual([toolRequest, toolAnswer, toolRequest, toolAnswer]);
    expect(interactions[3]).toMatchObject({
      model: 'gpt-4o-mini-2024-07-18',
      provider: 'openai',
      operation: 'chat',
      conversationId: 'session-42',
      userId: 'user-7',
      responseId: 'resp_fixture_4',
      usage: { inputTokens: 64, outputTokens: 18 },
    });
  });
});

describe.each(['vercel-ai-v6', 'vercel-ai-v5'])('%s', (name) => {
  const fixture = loadFixture(name);

  it('extracts the provider calls and the outer calls, but not the tool span', () => {
    const names = fixture.spans.filter(({ span, scope }) => isGenAiSpan(span, scope)).map(({ span }) => span.name);
    expect(names).toEqual([
      'ai.generateText',
      'ai.generateText.doGenerate',
      'ai.generateText.doGenerate',
      'ai.generateText',
      'ai.generateText.doGenerate',
    ]);
    expect(fixture.spans.some(({ span }) => span.name === 'ai.toolCall')).toBe(true);
    const [outer, first, second] = defined(interactionsOf(fixture));
    expect(content(first as Interaction)).toEqual(toolRequest);
    expect(content(second as Interaction)).toEqual(toolAnswer);
    // The outer span holds the caller's prompt and the final text of the whole tool loop.
    expect(content(outer as Interaction)).toEqual({ ...toolRequest, output: toolAnswer.output });
    expect(second).toMatchObject({
      convention: 'vercel_ai',
      provider: 'openai',
      operation: 'chat',
      conversationId: 'session-42',
      userId: 'user-7',
      responseId: 'chatcmpl-fixture-2',
      usage: { inputTokens: 52, outputTokens: 16 },
    });
    expect(outer?.operation).toBe('invoke_agent');
  });

  it('gives a one-step outer call and its provider call the same key', () => {
    const [, , , outer, inner] = defined(interactionsOf(fixture));
    expect(outer?.messages).toEqual([{ role: 'user', text: 'Suggest one museum in Paris for a rainy afternoon.' }]);
    expect(interactionContentKey(outer as Interaction)).toBe(interactionContentKey(inner as Interaction));
  });
});

describe('ai 7 + @ai-sdk/otel (scope gen_ai, semconv JSON strings)', () => {
  const fixture = loadFixture('vercel-ai-v7');

  it('extracts the agent and chat spans, but not the step and tool spans', () => {
    const isGenAi = ({ span, scope }: { span: Span; scope: InstrumentationScope }) => isGenAiSpan(span, scope);
    expect(fixture.spans.filter(isGenAi).map(({ span }) => span.name)).toEqual([
      'invoke_agent gpt-4o-mini',
      'chat gpt-4o-mini',
      'chat gpt-4o-mini',
      'invoke_agent gpt-4o-mini',
      'chat gpt-4o-mini',
    ]);
    expect(fixture.spans.filter((entry) => !isGenAi(entry)).map(({ span }) => span.name)).toEqual([
      'step 1',
      'execute_tool get_weather',
      'step 2',
      'step 1',
    ]);
    const interactions = defined(interactionsOf(fixture));
    expect(interactions.every((interaction) => interaction.convention === 'otel_latest')).toBe(true);
    const [outer, first, second] = interactions;
    expect(content(first as Interaction)).toEqual(toolRequest);
    expect(content(second as Interaction)).toEqual(toolAnswer);
    // The agent span's one output message holds the parts of every step: the final text, then the
    // tool call and its result.
    expect(content(outer as Interaction)).toEqual({
      ...toolRequest,
      output: [{ role: 'assistant', text: `${answer}\n[tool_call get_weather]\nrainy, 14°C` }],
    });
    expect(second).toMatchObject({
      model: 'gpt-4o-mini-2024-07-18',
      provider: 'openai',
      operation: 'chat',
      conversationId: 'session-42',
      userId: 'user-7',
      responseId: 'chatcmpl-fixture-2',
      usage: { inputTokens: 52, outputTokens: 16 },
    });
    // The agent span has the requested model and the usage summed over its steps.
    expect(outer).toMatchObject({
      model: 'gpt-4o-mini',
      operation: 'invoke_agent',
      conversationId: 'session-42',
      userId: 'user-7',
      usage: { inputTokens: 103, outputTokens: 33 },
    });
  });

  it('gives a one-step agent call and its chat call the same key', () => {
    const [, , , outer, inner] = defined(interactionsOf(fixture));
    expect(outer?.messages).toEqual([{ role: 'user', text: 'Suggest one museum in Paris for a rainy afternoon.' }]);
    expect(inner?.responseId).toBe('resp_fixture_3');
    expect(interactionContentKey(outer as Interaction)).toBe(interactionContentKey(inner as Interaction));
  });
});

describe('Langfuse JS SDK (@langfuse/tracing + @langfuse/otel)', () => {
  it('reads observation input/output, session and user, and the agent observation', () => {
    const interactions = defined(interactionsOf(loadFixture('langfuse')));
    const [agent, first, second] = interactions;
    expect(interactions.every((interaction) => interaction.convention === 'langfuse')).toBe(true);
    expect(content(first as Interaction)).toEqual(toolRequest);
    expect(content(second as Interaction)).toEqual(toolAnswer);
    expect(second).toMatchObject({
      model: 'gpt-4o-mini',
      operation: 'chat',
      conversationId: 'session-42',
      userId: 'user-7',
      usage: { inputTokens: 52, outputTokens: 16 },
    });
    expect(content(agent as Interaction)).toEqual({
      systemInstructions: [],
      messages: [earlierTurns[2]],
      output: [{ role: 'assistant', text: answer }],
    });
    expect(agent?.operation).toBe('invoke_agent');
  });
});

describe('every producer, same conversation', () => {
  it('gives the same request the same content key', () => {
    const keysByProducer = Object.fromEntries(
      [
        'opentelemetry-instrumentation-openai',
        'traceloop-instrumentation-openai',
        'openinference-instrumentation-openai',
        'vercel-ai-v6',
        'vercel-ai-v5',
        'vercel-ai-v7',
        'langfuse',
      ].map((name) => [name, new Set(defined(interactionsOf(loadFixture(name))).map(interactionContentKey))]),
    );
    for (const [producer, keys] of Object.entries(keysByProducer)) {
      expect(keys.has(toolRequestKey), `${producer} tool request`).toBe(true);
      expect(keys.has(toolAnswerKey), `${producer} tool answer`).toBe(true);
    }
    expect(toolRequestKey).not.toBe(toolAnswerKey);
  });
});

describe('constructed per spec (no installed producer emits these forms)', () => {
  const [latest, events, legacy] = defined(interactionsOf(loadFixture('otel-semconv.constructed-per-spec')));

  it('reads structured semconv ≥1.37 messages with placeholders for non-text parts', () => {
    expect(latest).toEqual({
      convention: 'otel_latest',
      systemInstructions: [systemPrompt],
      messages: [
        { role: 'user', text: 'What is the weather like in Paris right now? Here is my photo of the sky.\n[image]' },
        { role: 'assistant', text: '[reasoning]\n[tool_call get_weather]' },
        { role: 'tool', text: 'rainy, 14°C' },
        { role: 'user', text: '[video]\nAnd is this clip from today?' },
      ],
      output: [{ role: 'assistant', text: 'It is rainy and 14°C in Paris; the clip looks like today.' }],
      model: 'gpt-4o-2024-08-06',
      provider: 'openai',
      operation: 'chat',
      conversationId: 'conversation-9',
      responseId: 'chatcmpl-constructed-1',
      usage: { inputTokens: 97, outputTokens: 21 },
    });
  });

  it('reads 1.28–1.36 message span events', () => {
    expect(content(events as Interaction)).toEqual({
      systemInstructions: [systemPrompt],
      messages: [{ role: 'user', text: 'What is the weather like in Paris right now?' }],
      output: [{ role: 'assistant', text: 'It is rainy and 14°C.' }],
    });
    expect(events?.convention).toBe('otel_events');
  });

  it('reads ≤1.27 gen_ai.content.* events with Python-repr content', () => {
    expect(content(legacy as Interaction)).toEqual({
      systemInstructions: [systemPrompt],
      messages: [{ role: 'user', text: "What's the weather like in Paris right now?" }],
      output: [{ role: 'assistant', text: 'It is rainy and 14°C.' }],
    });
    expect(legacy).toMatchObject({ convention: 'otel_legacy_prompt', usage: { inputTokens: 30, outputTokens: 9 } });
  });
});
