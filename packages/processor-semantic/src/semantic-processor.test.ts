import { createHash } from 'node:crypto';
import type {
  Classifier,
  ClassificationItem,
  ClassificationOutcome,
  ClassifyOptions,
  ItemLabels,
  Taxonomy,
} from '@semtel/classifier';
import { buildClassificationPrompt, classificationSchemaName, defaultTaxonomy } from '@semtel/classifier';
import type { LogsConsumer, TracesConsumer } from '@semtel/component';
import { noopTelemetry } from '@semtel/component';
import type { KeyValue, LogRecord, Logs, Span, Traces } from '@semtel/pdata';
import { createLogRecord, createResource, createScope, createSpan, getAttribute, SpanKind } from '@semtel/pdata';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SemanticProcessorSettings } from './semantic-processor.js';
import { SemanticProcessor } from './semantic-processor.js';

const taxonomy: Taxonomy = defaultTaxonomy();

class RecordingClassifier implements Classifier {
  readonly model = 'test-model';
  readonly calls: ClassificationItem[][] = [];
  readonly options: Array<ClassifyOptions | undefined> = [];
  /** Ids to leave out of the output, per call index. */
  omit: (call: number, item: ClassificationItem) => boolean = () => false;
  hang = false;
  /** When set, answers only once this settles. */
  gate: Promise<void> | undefined;
  failWith: Error | undefined;

  async classify(
    items: ClassificationItem[],
    _taxonomy: Taxonomy,
    signal?: AbortSignal,
    options?: ClassifyOptions,
  ): Promise<ClassificationOutcome> {
    const call = this.calls.length;
    this.calls.push(items);
    this.options.push(options);
    if (this.failWith) throw this.failWith;
    if (this.gate) await this.gate;
    if (this.hang) {
      await new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(new Error('aborted'))));
    }
    const labels = new Map<string, ItemLabels>();
    const invalid: string[] = [];
    for (const item of items) {
      if (this.omit(call, item)) invalid.push(item.id);
      else
        labels.set(item.id, {
          intent: 'doing',
          task_type: 'computer_programming',
          domain: 'technology_and_computing',
          task_complexity: 'apply',
          user_expertise: 'intermediate',
          satisfaction: 'unknown',
          collaboration_mode: 'directive',
        });
    }
    return { labels, invalid, model: this.model, usage: { inputTokens: 100, outputTokens: 10, cachedInputTokens: 0 } };
  }
}

class Sink implements TracesConsumer, LogsConsumer {
  readonly traces: Traces[] = [];
  readonly logs: Logs[] = [];
  async consumeTraces(traces: Traces): Promise<void> {
    this.traces.push(traces);
  }
  async consumeLogs(logs: Logs): Promise<void> {
    this.logs.push(logs);
  }
  spans(): Span[] {
    return this.traces.flatMap((traces) =>
      traces.resourceSpans.flatMap((resourceSpans) =>
        resourceSpans.scopeSpans.flatMap((scopeSpans) => scopeSpans.spans),
      ),
    );
  }
  async waitForSpans(count: number, timeoutMs = 5000): Promise<Span[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.spans().length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    return this.spans();
  }
}

let counter = 0;
function id(bytes: number): string {
  counter += 1;
  return counter.toString(16).padStart(bytes * 2, '0');
}

function chatSpan(userText: string, traceId = id(16), extra: KeyValue[] = []): Span {
  return createSpan({
    traceId,
    spanId: id(8),
    name: 'chat gpt-4o-mini',
    kind: SpanKind.CLIENT,
    attributes: [
      { key: 'gen_ai.operation.name', value: 'chat' },
      { key: 'gen_ai.provider.name', value: 'openai' },
      { key: 'gen_ai.request.model', value: 'gpt-4o-mini' },
      {
        key: 'gen_ai.input.messages',
        value: JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: userText }] }]),
      },
      {
        key: 'gen_ai.output.messages',
        value: JSON.stringify([
          { role: 'assistant', parts: [{ type: 'text', content: 'Here you go.' }], finish_reason: 'stop' },
        ]),
      },
      ...extra,
    ],
  });
}

/** A span as @opentelemetry/instrumentation-openai sends it: no content, which comes as log records. */
function logBasedSpan(traceId = id(16), spanId = id(8), extra: KeyValue[] = []): Span {
  return createSpan({
    traceId,
    spanId,
    name: 'chat gpt-4o-mini',
    kind: SpanKind.CLIENT,
    attributes: [
      { key: 'gen_ai.operation.name', value: 'chat' },
      { key: 'gen_ai.system', value: 'openai' },
      { key: 'gen_ai.request.model', value: 'gpt-4o-mini' },
      ...extra,
    ],
  });
}

/** What a span of logBasedSpan shows once the model answered. */
const responseAttributes: KeyValue[] = [
  { key: 'gen_ai.response.id', value: 'chatcmpl-1' },
  { key: 'gen_ai.response.finish_reasons', value: ['stop'] },
  { key: 'gen_ai.usage.input_tokens', value: 20n },
  { key: 'gen_ai.usage.output_tokens', value: 5n },
];

function userMessageRecord(traceId: string, spanId: string, text: string): LogRecord {
  return createLogRecord({
    traceId,
    spanId,
    eventName: 'gen_ai.user.message',
    attributes: [{ key: 'gen_ai.system', value: 'openai' }],
    body: { kvlist: [{ key: 'content', value: text }] },
  });
}

function choiceRecord(traceId: string, spanId: string, text: string): LogRecord {
  return createLogRecord({
    traceId,
    spanId,
    eventName: 'gen_ai.choice',
    attributes: [{ key: 'gen_ai.system', value: 'openai' }],
    body: {
      kvlist: [
        { key: 'index', value: 0n },
        { key: 'finish_reason', value: 'stop' },
        { key: 'message', value: { kvlist: [{ key: 'content', value: text }] } },
      ],
    },
  });
}

function logsOf(records: LogRecord[]): Logs {
  return {
    resourceLogs: [
      {
        resource: createResource(),
        schemaUrl: '',
        scopeLogs: [
          { scope: createScope('@opentelemetry/instrumentation-openai'), schemaUrl: '', logRecords: records },
        ],
      },
    ],
  };
}

/** Lets the release flush (scheduled with setImmediate) and its forwarding run. */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 5; turn += 1) await new Promise((resolve) => setImmediate(resolve));
}

function withAttribute(span: Span, key: string, value: string): Span {
  const attribute = span.attributes.find((candidate) => candidate.key === key);
  if (attribute) attribute.value = value;
  else span.attributes.push({ key, value });
  return span;
}

/** A trace id that sampling at ratio 0.5 leaves out: its rightmost 56 bits start with an 0xf nibble. */
function traceIdSampledOutAtHalf(): string {
  return `${'0'.repeat(18)}f${id(7).slice(1)}`;
}

function plainSpan(): Span {
  return createSpan({ traceId: id(16), spanId: id(8), name: 'GET /health', kind: SpanKind.SERVER });
}

function traces(spans: Span[], scopeName = 'app'): Traces {
  return {
    resourceSpans: [
      {
        resource: createResource([{ key: 'service.name', value: 'demo' }]),
        schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
        scopeSpans: [{ scope: createScope(scopeName, '1.0.0'), schemaUrl: '', spans }],
      },
    ],
  };
}

function settings(
  classifier: Classifier,
  overrides: Partial<SemanticProcessorSettings> = {},
): SemanticProcessorSettings {
  return {
    taxonomy,
    classifier,
    instructionTokens: 500,
    batch: { maxTokens: 8000, maxItems: 20, maxWaitMs: 10 },
    itemMaxTokens: 1500,
    maxHoldMs: 2000,
    joinWaitMs: 500,
    maxHeldSpans: 1000,
    maxConcurrency: 2,
    requestTimeoutMs: 5000,
    samplingRatio: 1,
    cache: { maxEntries: 100, ttlMs: 60_000 },
    maxAttempts: 3,
    enrichment: { prefix: 'semtel', evaluationEvents: true },
    ...overrides,
  };
}

const processors: SemanticProcessor[] = [];
function createProcessor(classifier: Classifier, overrides: Partial<SemanticProcessorSettings> = {}) {
  const sink = new Sink();
  const processor = new SemanticProcessor(settings(classifier, overrides), { traces: sink, logs: sink }, noopTelemetry);
  processors.push(processor);
  return { processor, sink };
}

afterEach(async () => {
  await Promise.all(processors.splice(0).map((processor) => processor.shutdown()));
});

describe('SemanticProcessor', () => {
  it('passes non-GenAI spans at once, keeping resource and scope, and labels GenAI spans', async () => {
    const classifier = new RecordingClassifier();
    const { processor, sink } = createProcessor(classifier);
    const plain = plainSpan();
    const genai = chatSpan('How do I reverse a list in Python?');
    await processor.consumeTraces(traces([plain, genai]));
    expect(sink.spans()).toEqual([plain]);
    expect(sink.traces[0]?.resourceSpans[0]?.schemaUrl).toBe('https://opentelemetry.io/schemas/1.26.0');
    expect(sink.traces[0]?.resourceSpans[0]?.scopeSpans[0]?.scope.name).toBe('app');
    const spans = await sink.waitForSpans(2);
    expect(spans).toHaveLength(2);
    const labelled = spans[1] as Span;
    expect(getAttribute(labelled.attributes, 'semtel.status')).toBe('classified');
    expect(getAttribute(labelled.attributes, 'semtel.domain')).toBe('technology_and_computing');
    expect(getAttribute(labelled.attributes, 'semtel.task_group')).toBe('technical_help');
    expect(getAttribute(labelled.attributes, 'semtel.classifier.model')).toBe('test-model');
    expect(getAttribute(labelled.attributes, 'semtel.taxonomy.version')).toBe(taxonomy.version);
    const evaluations = labelled.events.filter((event) => event.name === 'gen_ai.evaluation.result');
    expect(evaluations.length).toBe(taxonomy.dimensions.filter((dimension) => dimension.enabled).length);
    expect(sink.traces[1]?.resourceSpans[0]?.resource.attributes).toEqual([{ key: 'service.name', value: 'demo' }]);
    expect(getAttribute(plain.attributes, 'semtel.status')).toBeUndefined();
  });

  it('classifies the same content once and labels every copy', async () => {
    const classifier = new RecordingClassifier();
    const { processor, sink } = createProcessor(classifier);
    await processor.consumeTraces(
      traces([chatSpan('Translate hello to French'), chatSpan('Translate hello to French')]),
    );
    const spans = await sink.waitForSpans(2);
    expect(classifier.calls.flat()).toHaveLength(1);
    expect(spans.map((span) => getAttribute(span.attributes, 'semtel.status')).sort()).toEqual([
      'cached',
      'classified',
    ]);
    await processor.consumeTraces(traces([chatSpan('Translate hello to French')]));
    const later = await sink.waitForSpans(3);
    expect(getAttribute((later[2] as Span).attributes, 'semtel.status')).toBe('cached');
    expect(getAttribute((later[2] as Span).attributes, 'semtel.domain')).toBe('technology_and_computing');
    expect(classifier.calls.flat()).toHaveLength(1);
  });

  it('labels a copy that joined an in-flight job after its originator timed out as classified', async () => {
    const classifier = new RecordingClassifier();
    let open: () => void = () => {};
    classifier.gate = new Promise<void>((resolve) => (open = resolve));
    const { processor, sink } = createProcessor(classifier, { maxHoldMs: 300, requestTimeoutMs: 60_000 });
    const originator = chatSpan('Suggest a name for a cat');
    await processor.consumeTraces(traces([originator]));
    await sink.waitForSpans(1);
    expect(getAttribute(originator.attributes, 'semtel.status')).toBe('timeout');
    expect(classifier.calls).toHaveLength(1);
    const copy = chatSpan('Suggest a name for a cat');
    await processor.consumeTraces(traces([copy]));
    open();
    await sink.waitForSpans(2);
    expect(getAttribute(copy.attributes, 'semtel.status')).toBe('classified');
    expect(getAttribute(copy.attributes, 'semtel.domain')).toBe('technology_and_computing');
    expect(classifier.calls).toHaveLength(1);
  });

  it('releases a span at max_hold with status timeout when the classifier hangs', async () => {
    const classifier = new RecordingClassifier();
    classifier.hang = true;
    const { processor, sink } = createProcessor(classifier, { maxHoldMs: 100 });
    const startedAt = Date.now();
    await processor.consumeTraces(traces([chatSpan('Write a poem')]));
    const spans = await sink.waitForSpans(1);
    expect(spans).toHaveLength(1);
    expect(Date.now() - startedAt).toBeLessThan(4000);
    expect(getAttribute((spans[0] as Span).attributes, 'semtel.status')).toBe('timeout');
    expect(getAttribute((spans[0] as Span).attributes, 'semtel.domain')).toBeUndefined();
  });

  it('marks content-less GenAI spans skipped_no_content without calling the classifier', async () => {
    const classifier = new RecordingClassifier();
    const { processor, sink } = createProcessor(classifier);
    const span = createSpan({
      traceId: id(16),
      spanId: id(8),
      name: 'chat gpt-4o',
      kind: SpanKind.CLIENT,
      attributes: [
        { key: 'gen_ai.operation.name', value: 'chat' },
        { key: 'gen_ai.provider.name', value: 'openai' },
      ],
    });
    await processor.consumeTraces(traces([span]));
    expect(sink.spans()).toHaveLength(1);
    expect(getAttribute(span.attributes, 'semtel.status')).toBe('skipped_no_content');
    expect(classifier.calls).toHaveLength(0);
  });

  it('marks spans of traces that are not sampled', async () => {
    const classifier = new RecordingClassifier();
    const { processor, sink } = createProcessor(classifier, { samplingRatio: 0 });
    await processor.consumeTraces(traces([chatSpan('Plan a trip to Rome')]));
    expect(getAttribute((sink.spans()[0] as Span).attributes, 'semtel.status')).toBe('sampled_out');
    expect(classifier.calls).toHaveLength(0);
  });

  it('re-sends missing items in smaller batches, then releases them with status error', async () => {
    const classifier = new RecordingClassifier();
    classifier.omit = (_call, item) => item.transcript.includes('always missing');
    const { processor, sink } = createProcessor(classifier, { maxAttempts: 3 });
    const spans = [chatSpan('fine one'), chatSpan('always missing'), chatSpan('fine two'), chatSpan('fine three')];
    await processor.consumeTraces(traces(spans));
    const delivered = await sink.waitForSpans(4);
    expect(delivered).toHaveLength(4);
    const statuses = spans.map((span) => getAttribute(span.attributes, 'semtel.status'));
    expect(statuses).toEqual(['classified', 'error', 'classified', 'classified']);
    expect(classifier.calls).toHaveLength(3);
    expect(classifier.calls[1]).toHaveLength(1);
  });

  it('releases spans with status error when the classifier fails, and unavailable on quota errors', async () => {
    const classifier = new RecordingClassifier();
    classifier.failWith = new Error('boom');
    const { processor, sink } = createProcessor(classifier);
    await processor.consumeTraces(traces([chatSpan('a question')]));
    const spans = await sink.waitForSpans(1);
    expect(getAttribute((spans[0] as Span).attributes, 'semtel.status')).toBe('error');

    const quota = new RecordingClassifier();
    quota.failWith = Object.assign(new Error('You exceeded your current quota'), { kind: 'quota_exhausted' });
    const second = createProcessor(quota);
    await second.processor.consumeTraces(traces([chatSpan('another question')]));
    const quotaSpans = await second.sink.waitForSpans(1);
    expect(getAttribute((quotaSpans[0] as Span).attributes, 'semtel.status')).toBe('unavailable');
  });

  it("passes the batch's latest release time as the classify deadline, bounded by request_timeout", async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const classifier = new RecordingClassifier();
      const { processor, sink } = createProcessor(classifier, {
        maxHoldMs: 2000,
        requestTimeoutMs: 60_000,
        batch: { maxTokens: 8000, maxItems: 3, maxWaitMs: 60_000 },
      });
      vi.setSystemTime(1_000_000);
      await processor.consumeTraces(traces([chatSpan('first in the batch')]));
      vi.setSystemTime(1_000_400);
      // A copy joins the first job: the deadline is the copy's, the later of the two.
      await processor.consumeTraces(traces([chatSpan('first in the batch'), chatSpan('second in the batch')]));
      vi.setSystemTime(1_000_700);
      await processor.consumeTraces(traces([chatSpan('third in the batch')]));
      await sink.waitForSpans(4);
      expect(classifier.calls).toHaveLength(1);
      expect(classifier.options).toEqual([{ deadline: 1_000_700 + 2000 }]);

      const bounded = new RecordingClassifier();
      const second = createProcessor(bounded, { maxHoldMs: 30_000, requestTimeoutMs: 5000 });
      vi.setSystemTime(2_000_000);
      await second.processor.consumeTraces(traces([chatSpan('bounded by request_timeout')]));
      await second.sink.waitForSpans(1);
      expect(bounded.options).toEqual([{ deadline: 2_000_000 + 5000 }]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('releases spans at once when the classifier refuses a request it could not finish by the deadline', async () => {
    const refusal = (kind: string, message: string) =>
      Object.assign(new Error(message), { kind, code: 'deadline_exceeded' });
    const cases = [
      // Too little time left for even one attempt: not classified within max_hold.
      { error: refusal('timeout', 'LLM request not started: past the deadline'), status: 'timeout' },
      // The rate-limit queue would outlast the hold: the endpoints are saturated.
      { error: refusal('rate_limited', 'LLM request not started: behind the rate limit'), status: 'unavailable' },
      // Failed attempts, no time for another: the endpoints failed.
      { error: refusal('unavailable', 'LLM retry not started: last failure 503'), status: 'unavailable' },
    ];
    for (const { error, status } of cases) {
      const classifier = new RecordingClassifier();
      classifier.failWith = error;
      // A long hold: a span leaving with the refusal's status did not wait for its max_hold.
      const { processor, sink } = createProcessor(classifier, { maxHoldMs: 60_000, requestTimeoutMs: 120_000 });
      await processor.consumeTraces(traces([chatSpan(`refused with ${error.kind}`)]));
      const [span] = await sink.waitForSpans(1);
      expect(getAttribute((span as Span).attributes, 'semtel.status')).toBe(status);
      expect(getAttribute((span as Span).attributes, 'semtel.status_reason')).toBe(
        `classification failed: ${error.message}`,
      );
    }
  });

  it('adaptive sampling: capacity refusals lower the ratio, and the spans it leaves out go at once', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    try {
      const classifier = new RecordingClassifier();
      classifier.failWith = Object.assign(new Error('LLM endpoints saturated'), { kind: 'rate_limited' });
      const { processor, sink } = createProcessor(classifier, {
        batch: { maxTokens: 8000, maxItems: 5, maxWaitMs: 10 },
        adaptiveSampling: { enabled: true, maxBacklog: 0, minRatio: 0.05 },
      });
      const send = async (count: number, label: string) => {
        // Trace ids spread over the whole range, as real ones are (the counter's would all sit low), and
        // the same on every run.
        const spans = Array.from({ length: count }, (_, index) =>
          chatSpan(`${label} ${index}`, createHash('sha256').update(`${label} ${index}`).digest('hex').slice(0, 32)),
        );
        await processor.consumeTraces(traces(spans));
        // Bounded in turns, not time (Date is frozen here).
        for (let turn = 0; turn < 500 && spans.some((span) => !sink.spans().includes(span)); turn += 1)
          await new Promise((resolve) => setTimeout(resolve, 2));
        return spans.map((span) => ({
          status: getAttribute(span.attributes, 'semtel.status'),
          reason: getAttribute(span.attributes, 'semtel.status_reason'),
        }));
      };
      const before = await send(40, 'before');
      expect(before.every((span) => span.status === 'unavailable')).toBe(true);
      const calls = classifier.calls.length;
      vi.advanceTimersByTime(1000);
      const after = await send(200, 'after');
      const sampledOut = after.filter((span) => span.status === 'sampled_out');
      // Nothing was served: halved, the most one update cuts.
      expect(sampledOut.length).toBeGreaterThan(60);
      expect(sampledOut.length).toBeLessThan(140);
      for (const span of sampledOut) expect(span.reason).toMatch(/^adaptive sampling: .* lowered to 0\.500$/);
      expect(classifier.calls.flat().length - before.length).toBe(200 - sampledOut.length);
      expect(classifier.calls.length).toBeGreaterThan(calls);
    } finally {
      vi.useRealTimers();
    }
  });

  it('joins content that arrives as log records, before or after the span', async () => {
    const classifier = new RecordingClassifier();
    const { processor, sink } = createProcessor(classifier, { joinWaitMs: 2000 });
    const eventSpan = (traceId: string, spanId: string): Span =>
      createSpan({
        traceId,
        spanId,
        name: 'chat gpt-4o-mini',
        kind: SpanKind.CLIENT,
        attributes: [
          { key: 'gen_ai.operation.name', value: 'chat' },
          { key: 'gen_ai.system', value: 'openai' },
          { key: 'gen_ai.request.model', value: 'gpt-4o-mini' },
        ],
      });
    const eventLogs = (traceId: string, spanId: string, text: string): Logs => {
      const records: LogRecord[] = [
        createLogRecord({
          traceId,
          spanId,
          eventName: 'gen_ai.user.message',
          attributes: [{ key: 'gen_ai.system', value: 'openai' }],
          body: { kvlist: [{ key: 'content', value: text }] },
        }),
        createLogRecord({
          traceId,
          spanId,
          eventName: 'gen_ai.choice',
          attributes: [{ key: 'gen_ai.system', value: 'openai' }],
          body: {
            kvlist: [
              { key: 'index', value: 0n },
              { key: 'finish_reason', value: 'stop' },
              { key: 'message', value: { kvlist: [{ key: 'content', value: 'Sure.' }] } },
            ],
          },
        }),
      ];
      return {
        resourceLogs: [
          {
            resource: createResource(),
            schemaUrl: '',
            scopeLogs: [
              { scope: createScope('@opentelemetry/instrumentation-openai'), schemaUrl: '', logRecords: records },
            ],
          },
        ],
      };
    };

    const logsFirst = { traceId: id(16), spanId: id(8) };
    await processor.consumeLogs(eventLogs(logsFirst.traceId, logsFirst.spanId, 'Summarise this article about tides'));
    expect(sink.logs).toHaveLength(1);
    const first = eventSpan(logsFirst.traceId, logsFirst.spanId);
    await processor.consumeTraces(traces([first], '@opentelemetry/instrumentation-openai'));
    await sink.waitForSpans(1);
    expect(getAttribute(first.attributes, 'semtel.status')).toBe('classified');

    const spanFirst = { traceId: id(16), spanId: id(8) };
    expect(classifier.calls.flat()).toHaveLength(1);
    const second = eventSpan(spanFirst.traceId, spanFirst.spanId);
    await processor.consumeTraces(traces([second], '@opentelemetry/instrumentation-openai'));
    expect(sink.spans()).toHaveLength(1);
    await processor.consumeLogs(eventLogs(spanFirst.traceId, spanFirst.spanId, 'Draft an email to my landlord'));
    await sink.waitForSpans(2);
    expect(getAttribute(second.attributes, 'semtel.status')).toBe('classified');
    expect(classifier.calls.flat()).toHaveLength(2);
  });

  it('releases every held span on shutdown', async () => {
    const classifier = new RecordingClassifier();
    classifier.hang = true;
    const { processor, sink } = createProcessor(classifier, { maxHoldMs: 60_000 });
    await processor.consumeTraces(traces([chatSpan('one'), chatSpan('two'), plainSpan()]));
    expect(sink.spans()).toHaveLength(1);
    await processor.shutdown(AbortSignal.timeout(1000));
    const spans = sink.spans();
    expect(spans).toHaveLength(3);
    expect(spans.slice(1).map((span) => getAttribute(span.attributes, 'semtel.status'))).toEqual([
      'unavailable',
      'unavailable',
    ]);
  });

  it('retries handing released spans downstream when the next consumer refuses', async () => {
    const classifier = new RecordingClassifier();
    const sink = new Sink();
    let refusals = 2;
    const flaky: TracesConsumer = {
      consumeTraces: async (data) => {
        if (refusals > 0) {
          refusals -= 1;
          throw new Error('queue full');
        }
        await sink.consumeTraces(data);
      },
    };
    const processor = new SemanticProcessor(settings(classifier), { traces: flaky, logs: sink }, noopTelemetry);
    processors.push(processor);
    const span = chatSpan('retry me');
    await processor.consumeTraces(traces([span])).catch(() => {});
    const spans = await sink.waitForSpans(1);
    expect(spans).toHaveLength(1);
    expect(getAttribute(span.attributes, 'semtel.status')).toBe('classified');
  });

  it('strips raw content from exported spans and GenAI log records, keeping the labels', async () => {
    const classifier = new RecordingClassifier();
    const { processor, sink } = createProcessor(classifier, { stripContent: true });
    const span = chatSpan('Tell me about my account 1234');
    await processor.consumeTraces(traces([span]));
    await sink.waitForSpans(1);
    expect(classifier.calls[0]?.[0]?.transcript).toContain('account 1234');
    expect(getAttribute(span.attributes, 'gen_ai.input.messages')).toBeUndefined();
    expect(getAttribute(span.attributes, 'gen_ai.output.messages')).toBeUndefined();
    expect(getAttribute(span.attributes, 'semtel.domain')).toBe('technology_and_computing');
    const record = createLogRecord({
      traceId: id(16),
      spanId: id(8),
      eventName: 'gen_ai.user.message',
      body: { kvlist: [{ key: 'content', value: 'private text' }] },
    });
    const other = createLogRecord({ body: 'an ordinary log line' });
    await processor.consumeLogs({
      resourceLogs: [
        {
          resource: createResource(),
          schemaUrl: '',
          scopeLogs: [{ scope: createScope('x'), schemaUrl: '', logRecords: [record, other] }],
        },
      ],
    });
    const exported = sink.logs[0]?.resourceLogs[0]?.scopeLogs[0]?.logRecords ?? [];
    expect(exported).toHaveLength(2);
    expect(exported[0]?.body).toBeUndefined();
    expect(exported[0]?.eventName).toBe('gen_ai.user.message');
    expect(exported[1]?.body).toBe('an ordinary log line');
  });

  it('redacts transcripts before they reach the classifier', async () => {
    const classifier = new RecordingClassifier();
    const { processor, sink } = createProcessor(classifier, {
      redact: (text) => text.replaceAll(/\S+@\S+/g, '[EMAIL]'),
    });
    const span = chatSpan('Email me at jane@example.com please');
    await processor.consumeTraces(traces([span]));
    await sink.waitForSpans(1);
    expect(classifier.calls[0]?.[0]?.transcript).toContain('[EMAIL]');
    expect(classifier.calls[0]?.[0]?.transcript).not.toContain('jane@example.com');
    expect(getAttribute(span.attributes, 'gen_ai.input.messages')).toContain('jane@example.com');
  });

  it('falls back to the lexical classifier when the budget is spent, or releases with over_budget', async () => {
    const spent = () => Object.assign(new Error('daily token budget exhausted'), { kind: 'over_budget' });
    const lexical = new RecordingClassifier();
    lexical.failWith = spent();
    const first = createProcessor(lexical, { onBudgetExhausted: 'lexical' });
    const span = chatSpan('How do I bake sourdough bread?');
    await first.processor.consumeTraces(traces([span]));
    await first.sink.waitForSpans(1);
    expect(getAttribute(span.attributes, 'semtel.status')).toBe('classified');
    expect(getAttribute(span.attributes, 'semtel.classifier.model')).toBe('lexical');

    const release = new RecordingClassifier();
    release.failWith = spent();
    const second = createProcessor(release, { onBudgetExhausted: 'release' });
    const other = chatSpan('How do I bake rye bread?');
    await second.processor.consumeTraces(traces([other]));
    await second.sink.waitForSpans(1);
    expect(getAttribute(other.attributes, 'semtel.status')).toBe('over_budget');
    expect(getAttribute(other.attributes, 'semtel.domain')).toBeUndefined();
  });

  it('holds a span from a log-based producer for its events even before any event was seen', async () => {
    const classifier = new RecordingClassifier();
    const { processor, sink } = createProcessor(classifier, { joinWaitMs: 2000 });
    const traceId = id(16);
    const spanId = id(8);
    const span = createSpan({
      traceId,
      spanId,
      name: 'chat gpt-4o-mini',
      kind: SpanKind.CLIENT,
      attributes: [
        { key: 'gen_ai.operation.name', value: 'chat' },
        { key: 'gen_ai.system', value: 'openai' },
      ],
    });
    await processor.consumeTraces(traces([span], '@opentelemetry/instrumentation-openai'));
    expect(sink.spans()).toHaveLength(0);
    await processor.consumeLogs({
      resourceLogs: [
        {
          resource: createResource(),
          schemaUrl: '',
          scopeLogs: [
            {
              scope: createScope('@opentelemetry/instrumentation-openai'),
              schemaUrl: '',
              logRecords: [
                createLogRecord({
                  traceId,
                  spanId,
                  eventName: 'gen_ai.user.message',
                  body: { kvlist: [{ key: 'content', value: 'What is the capital of Peru?' }] },
                }),
              ],
            },
          ],
        },
      ],
    });
    await sink.waitForSpans(1);
    expect(getAttribute(span.attributes, 'semtel.status')).toBe('classified');
  });

  it('does not hold content-less spans of producers that put content on the span', async () => {
    const classifier = new RecordingClassifier();
    const { processor, sink } = createProcessor(classifier, { joinWaitMs: 2000 });
    const span = createSpan({
      traceId: id(16),
      spanId: id(8),
      name: 'chat gpt-4o',
      kind: SpanKind.CLIENT,
      attributes: [
        { key: 'gen_ai.operation.name', value: 'chat' },
        { key: 'gen_ai.provider.name', value: 'openai' },
      ],
    });
    await processor.consumeTraces(traces([span], 'my-app'));
    expect(sink.spans()).toHaveLength(1);
    expect(getAttribute(span.attributes, 'semtel.status')).toBe('skipped_no_content');
  });

  it('with waitForRelease, resolves a request only after its held spans went downstream', async () => {
    const classifier = new RecordingClassifier();
    const { processor, sink } = createProcessor(classifier, { waitForRelease: true });
    const span = chatSpan('Explain recursion with an example');
    await processor.consumeTraces(traces([plainSpan(), span]));
    expect(getAttribute(span.attributes, 'semtel.status')).toBe('classified');
    expect(sink.spans()).toHaveLength(2);
  });

  it('never holds a span waiting for its log events past max_hold, even with a longer join_wait', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const classifier = new RecordingClassifier();
      const { processor, sink } = createProcessor(classifier, { joinWaitMs: 10_000, maxHoldMs: 300 });
      const span = logBasedSpan();
      await processor.consumeTraces(traces([span], '@opentelemetry/instrumentation-openai'));
      await settle();
      expect(sink.spans()).toHaveLength(0);
      await vi.advanceTimersByTimeAsync(300);
      await settle();
      expect(sink.spans()).toEqual([span]);
      expect(getAttribute(span.attributes, 'semtel.status')).toBe('skipped_no_content');
    } finally {
      vi.useRealTimers();
    }
  });

  it('waits for the gen_ai.choice record when the span reports an answer, whichever arrives first', async () => {
    const classifier = new RecordingClassifier();
    const { processor, sink } = createProcessor(classifier, { joinWaitMs: 2000 });
    // Turns first, then the span (with its response attributes), then the choice.
    const logsFirst = { traceId: id(16), spanId: id(8) };
    await processor.consumeLogs(logsOf([userMessageRecord(logsFirst.traceId, logsFirst.spanId, 'Name a red fruit')]));
    const first = logBasedSpan(logsFirst.traceId, logsFirst.spanId, responseAttributes);
    await processor.consumeTraces(traces([first], '@opentelemetry/instrumentation-openai'));
    await processor.consumeLogs(logsOf([choiceRecord(logsFirst.traceId, logsFirst.spanId, 'A strawberry.')]));
    // The span first, then the turns, then the choice.
    const spanFirst = { traceId: id(16), spanId: id(8) };
    const second = logBasedSpan(spanFirst.traceId, spanFirst.spanId, responseAttributes);
    await processor.consumeTraces(traces([second], '@opentelemetry/instrumentation-openai'));
    await processor.consumeLogs(logsOf([userMessageRecord(spanFirst.traceId, spanFirst.spanId, 'Name a green fruit')]));
    await processor.consumeLogs(logsOf([choiceRecord(spanFirst.traceId, spanFirst.spanId, 'A lime.')]));
    await sink.waitForSpans(2);
    const transcripts = classifier.calls.flat().map((item) => item.transcript);
    expect(transcripts).toHaveLength(2);
    expect(transcripts.find((text) => text.includes('red fruit'))).toContain('assistant: A strawberry.');
    expect(transcripts.find((text) => text.includes('green fruit'))).toContain('assistant: A lime.');
    expect(getAttribute(first.attributes, 'semtel.status')).toBe('classified');
    expect(getAttribute(second.attributes, 'semtel.status')).toBe('classified');
  });

  it('gives a log-borne interaction whose choice came late the content key of its other copies', async () => {
    const classifier = new RecordingClassifier();
    const { processor, sink } = createProcessor(classifier, { joinWaitMs: 2000 });
    const key = { traceId: id(16), spanId: id(8) };
    await processor.consumeLogs(logsOf([userMessageRecord(key.traceId, key.spanId, 'Plan a picnic')]));
    await processor.consumeTraces(
      traces([logBasedSpan(key.traceId, key.spanId, responseAttributes)], '@opentelemetry/instrumentation-openai'),
    );
    await processor.consumeLogs(logsOf([choiceRecord(key.traceId, key.spanId, 'Here you go.')]));
    await sink.waitForSpans(1);
    // The same exchange with its content on the span (chatSpan answers "Here you go.").
    const copy = chatSpan('Plan a picnic');
    await processor.consumeTraces(traces([copy]));
    await sink.waitForSpans(2);
    expect(getAttribute(copy.attributes, 'semtel.status')).toBe('cached');
    expect(classifier.calls.flat()).toHaveLength(1);
  });

  it('classifies with the turns alone when the choice never comes within join_wait', async () => {
    const classifier = new RecordingClassifier();
    const { processor, sink } = createProcessor(classifier, { joinWaitMs: 100 });
    const key = { traceId: id(16), spanId: id(8) };
    await processor.consumeLogs(logsOf([userMessageRecord(key.traceId, key.spanId, 'Recommend a novel')]));
    const span = logBasedSpan(key.traceId, key.spanId, responseAttributes);
    await processor.consumeTraces(traces([span], '@opentelemetry/instrumentation-openai'));
    await sink.waitForSpans(1);
    expect(getAttribute(span.attributes, 'semtel.status')).toBe('classified');
    expect(classifier.calls.flat().map((item) => item.transcript)).toEqual(['user: Recommend a novel']);
  });

  it('buffers no log content of traces the configured ratio samples out', async () => {
    const classifier = new RecordingClassifier();
    const { processor, sink } = createProcessor(classifier, { samplingRatio: 0.5, joinWaitMs: 100 });
    // Sampled in at 0.5 (the low trace-id bits are small), and its content arrives first.
    const kept = { traceId: id(16), spanId: id(8) };
    await processor.consumeLogs(logsOf([userMessageRecord(kept.traceId, kept.spanId, 'Teach me to juggle')]));
    // Then more content than the buffer has room for, all of traces that will be sampled out.
    await processor.consumeLogs(
      logsOf(
        Array.from({ length: 1000 }, () =>
          userMessageRecord(traceIdSampledOutAtHalf(), id(8), 'content nobody will read'),
        ),
      ),
    );
    const span = logBasedSpan(kept.traceId, kept.spanId);
    await processor.consumeTraces(traces([span], '@opentelemetry/instrumentation-openai'));
    await sink.waitForSpans(1);
    expect(getAttribute(span.attributes, 'semtel.status')).toBe('classified');
    expect(classifier.calls.flat().map((item) => item.transcript)).toEqual(['user: Teach me to juggle']);
  });

  it('drops the buffered content of spans that leave at once, so it cannot push out content others wait for', async () => {
    const classifier = new RecordingClassifier();
    let open: () => void = () => {};
    classifier.gate = new Promise<void>((resolve) => (open = resolve));
    const { processor, sink } = createProcessor(classifier, { maxHeldSpans: 1, joinWaitMs: 100 });
    const kept = { traceId: id(16), spanId: id(8) };
    await processor.consumeLogs(logsOf([userMessageRecord(kept.traceId, kept.spanId, 'Teach me to whistle')]));
    // One span fills the hold buffer; the next ones are refused, their content already buffered.
    await processor.consumeTraces(traces([chatSpan('Occupies the only hold slot')]));
    // As an app sends them: each call's content, then its span.
    for (let call = 0; call < 1000; call += 1) {
      const key = { traceId: id(16), spanId: id(8) };
      await processor.consumeLogs(logsOf([userMessageRecord(key.traceId, key.spanId, 'refused at the door')]));
      await processor.consumeTraces(
        traces([logBasedSpan(key.traceId, key.spanId)], '@opentelemetry/instrumentation-openai'),
      );
    }
    expect(sink.spans()).toHaveLength(1000);
    expect(sink.spans().every((span) => getAttribute(span.attributes, 'semtel.status') === 'unavailable')).toBe(true);
    open();
    await sink.waitForSpans(1001);
    const span = logBasedSpan(kept.traceId, kept.spanId);
    await processor.consumeTraces(traces([span], '@opentelemetry/instrumentation-openai'));
    await sink.waitForSpans(1002);
    expect(getAttribute(span.attributes, 'semtel.status')).toBe('classified');
    expect(classifier.calls.flat().map((item) => item.transcript)).toContain('user: Teach me to whistle');
  });

  it("passes semtel's own classification requests through unlabelled, without holding them", async () => {
    const classifier = new RecordingClassifier();
    const { processor, sink } = createProcessor(classifier, { samplingRatio: 0.5, joinWaitMs: 2000 });
    const prompt = buildClassificationPrompt(taxonomy, [{ id: 'i1', transcript: 'user: How do I boil an egg?' }]);
    const answer = JSON.stringify({ i1: { intent: 'asking' } });
    // As semconv ≥1.37 instrumentation records it, on a trace sampling would leave out.
    const latest = createSpan({
      traceId: traceIdSampledOutAtHalf(),
      spanId: id(8),
      name: 'chat fake-classifier-mini',
      kind: SpanKind.CLIENT,
      attributes: [
        { key: 'gen_ai.operation.name', value: 'chat' },
        { key: 'gen_ai.provider.name', value: 'openai' },
        {
          key: 'gen_ai.input.messages',
          value: JSON.stringify([
            { role: 'system', parts: [{ type: 'text', content: prompt.instructions }] },
            { role: 'user', parts: [{ type: 'text', content: prompt.input }] },
          ]),
        },
        {
          key: 'gen_ai.output.messages',
          value: JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: answer }] }]),
        },
      ],
    });
    // As OpenInference records it with input capture off: only the request parameters show it.
    const openInference = createSpan({
      traceId: id(16),
      spanId: id(8),
      name: 'OpenAI Chat Completions',
      kind: SpanKind.CLIENT,
      attributes: [
        { key: 'openinference.span.kind', value: 'LLM' },
        {
          key: 'llm.invocation_parameters',
          value: JSON.stringify({
            model: 'fake-classifier-mini',
            response_format: { type: 'json_schema', json_schema: { name: classificationSchemaName, strict: true } },
          }),
        },
      ],
    });
    const before = structuredClone([latest, openInference]);
    await processor.consumeTraces(traces([latest, openInference]));
    expect(sink.spans()).toEqual([latest, openInference]);
    expect([latest, openInference]).toEqual(before);

    // As instrumentation-openai records it: the span first, its content as log records afterwards.
    const logBorne = { traceId: id(16), spanId: id(8) };
    const span = logBasedSpan(logBorne.traceId, logBorne.spanId, responseAttributes);
    const untouched = structuredClone(span);
    await processor.consumeTraces(traces([span], '@opentelemetry/instrumentation-openai'));
    await processor.consumeLogs(
      logsOf([
        createLogRecord({
          traceId: logBorne.traceId,
          spanId: logBorne.spanId,
          eventName: 'gen_ai.system.message',
          body: { kvlist: [{ key: 'content', value: prompt.instructions }] },
        }),
        userMessageRecord(logBorne.traceId, logBorne.spanId, prompt.input),
      ]),
    );
    await sink.waitForSpans(3);
    expect(span).toEqual(untouched);
    expect(classifier.calls).toHaveLength(0);
  });

  it('passes spans labelled upstream by semtel through untouched', async () => {
    // A sidecar semtel labels the span; the gateway's semtel receives it labelled.
    const sidecar = createProcessor(new RecordingClassifier());
    const span = chatSpan('Already done');
    await sidecar.processor.consumeTraces(traces([span]));
    await sidecar.sink.waitForSpans(1);
    expect(getAttribute(span.attributes, 'semtel.status')).toBe('classified');
    const before = structuredClone(span);
    const classifier = new RecordingClassifier();
    const { processor, sink } = createProcessor(classifier);
    await processor.consumeTraces(traces([span]));
    expect(sink.spans()).toEqual([span]);
    expect(span).toEqual(before);
    expect(classifier.calls).toHaveLength(0);
  });

  it('classifies a span again when its upstream labels are forged, stale or off the taxonomy', async () => {
    const upstream = createProcessor(new RecordingClassifier());
    const genuine = chatSpan('Genuine upstream');
    await upstream.processor.consumeTraces(traces([genuine]));
    await upstream.sink.waitForSpans(1);
    const forgedEvent = {
      timeUnixNano: 1n,
      name: 'gen_ai.evaluation.result',
      attributes: [
        { key: 'gen_ai.evaluation.name', value: 'domain' },
        { key: 'gen_ai.evaluation.score.label', value: 'pwned_domain' },
      ],
      droppedAttributesCount: 0,
    };
    const appEvent = { timeUnixNano: 2n, name: 'app.checkpoint', attributes: [], droppedAttributesCount: 0 };
    const cases: Span[] = [
      // An app writing labels of its own choosing.
      chatSpan('Forged one', id(16), [
        { key: 'semtel.status', value: 'classified' },
        { key: 'semtel.domain', value: 'pwned_domain' },
        { key: 'semtel.taxonomy.version', value: taxonomy.version },
        { key: 'semtel.experiment', value: 'b' },
      ]),
      // A real result with one label swapped for one outside the taxonomy.
      withAttribute(structuredClone(genuine), 'semtel.domain', 'pwned_domain'),
      // A real result from another taxonomy version.
      withAttribute(structuredClone(genuine), 'semtel.taxonomy.version', '000000000000'),
      // A real result with a status reason no classified span carries.
      withAttribute(structuredClone(genuine), 'semtel.status_reason', 'forged'),
    ];
    for (const span of cases) span.events.push(forgedEvent, appEvent);
    const classifier = new RecordingClassifier();
    const { processor, sink } = createProcessor(classifier);
    await processor.consumeTraces(traces(cases));
    await sink.waitForSpans(cases.length);
    for (const span of cases) {
      expect(getAttribute(span.attributes, 'semtel.status')).toMatch(/^(classified|cached)$/);
      expect(getAttribute(span.attributes, 'semtel.domain')).toBe('technology_and_computing');
      expect(getAttribute(span.attributes, 'semtel.taxonomy.version')).toBe(taxonomy.version);
      expect(getAttribute(span.attributes, 'semtel.status_reason')).toBeUndefined();
      expect(span.events).not.toContainEqual(forgedEvent);
      expect(span.events).toContainEqual(appEvent);
      const evaluations = span.events.filter((event) => event.name === 'gen_ai.evaluation.result');
      expect(evaluations).toHaveLength(taxonomy.dimensions.filter((dimension) => dimension.enabled).length);
    }
    // A key semtel never writes is the app's own: it stays when the labels beside it are replaced.
    expect(getAttribute((cases[0] as Span).attributes, 'semtel.experiment')).toBe('b');
    expect(classifier.calls.flat().length).toBeGreaterThan(0);
  });
});
