import type { Classifier, ClassificationItem, ClassificationOutcome, ItemLabels, Taxonomy } from '@semtel/classifier';
import { defaultTaxonomy } from '@semtel/classifier';
import type { TracesConsumer } from '@semtel/component';
import { noopTelemetry } from '@semtel/component';
import type { Span, Traces } from '@semtel/pdata';
import { createResource, createScope, createSpan, getAttribute, SpanKind } from '@semtel/pdata';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { SemanticProcessorSettings } from './semantic-processor.js';
import { SemanticProcessor } from './semantic-processor.js';
import { createSemanticProcessorFactory, semanticProcessorFactory } from './semantic-processor-factory.js';
import type { SharedResultCache, SharedState } from './shared-result-cache.js';
import type { ClassificationResult } from './span-enrichment.js';

const taxonomy: Taxonomy = defaultTaxonomy();
const labels: ItemLabels = {
  intent: 'doing',
  task_type: 'computer_programming',
  domain: 'technology_and_computing',
  task_complexity: 'apply',
  user_expertise: 'intermediate',
  satisfaction: 'unknown',
  collaboration_mode: 'directive',
};

class CountingClassifier implements Classifier {
  readonly model = 'test-model';
  items = 0;
  async classify(items: ClassificationItem[]): Promise<ClassificationOutcome> {
    this.items += items.length;
    return { labels: new Map(items.map((item) => [item.id, labels])), invalid: [], model: this.model };
  }
}

/** What a store shared by replicas would hold, with switches to make it fail. */
class MemorySharedCache implements SharedResultCache {
  readonly entries = new Map<string, { result: ClassificationResult; ttlMs: number }>();
  gets = 0;
  failGets = false;
  failSets = false;
  async get(key: string): Promise<ClassificationResult | undefined> {
    this.gets += 1;
    if (this.failGets) throw new Error('store unreachable');
    return this.entries.get(key)?.result;
  }
  async set(key: string, result: ClassificationResult, ttlMs: number): Promise<void> {
    if (this.failSets) throw new Error('store unreachable');
    this.entries.set(key, { result, ttlMs });
  }
}

class Sink implements TracesConsumer {
  readonly traces: Traces[] = [];
  async consumeTraces(traces: Traces): Promise<void> {
    this.traces.push(traces);
  }
  spans(): Span[] {
    return this.traces.flatMap((traces) =>
      traces.resourceSpans.flatMap((resourceSpans) => resourceSpans.scopeSpans.flatMap((scope) => scope.spans)),
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

function chatSpan(userText: string): Span {
  return createSpan({
    traceId: id(16),
    spanId: id(8),
    name: 'chat gpt-4o-mini',
    kind: SpanKind.CLIENT,
    attributes: [
      { key: 'gen_ai.operation.name', value: 'chat' },
      { key: 'gen_ai.provider.name', value: 'openai' },
      {
        key: 'gen_ai.input.messages',
        value: JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: userText }] }]),
      },
      {
        key: 'gen_ai.output.messages',
        value: JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'Done.' }] }]),
      },
    ],
  });
}

function traces(spans: Span[]): Traces {
  return {
    resourceSpans: [
      {
        resource: createResource([{ key: 'service.name', value: 'demo' }]),
        schemaUrl: '',
        scopeSpans: [{ scope: createScope('app', '1.0.0'), schemaUrl: '', spans }],
      },
    ],
  };
}

function settings(classifier: Classifier, sharedCache: SharedResultCache): SemanticProcessorSettings {
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
    sharedCache,
    maxAttempts: 3,
    enrichment: { prefix: 'semtel', evaluationEvents: true },
  };
}

const processors: { shutdown(): Promise<void> }[] = [];
function replica(sharedCache: SharedResultCache) {
  const classifier = new CountingClassifier();
  const sink = new Sink();
  const processor = new SemanticProcessor(settings(classifier, sharedCache), { traces: sink }, noopTelemetry);
  processors.push(processor);
  return { processor, sink, classifier };
}

afterEach(async () => {
  await Promise.all(processors.splice(0).map((processor) => processor.shutdown()));
});

describe('SemanticProcessor with a shared result cache', () => {
  it('serves an interaction another replica classified from the shared cache, without classifying it again', async () => {
    const shared = new MemorySharedCache();
    const first = replica(shared);
    const second = replica(shared);
    await first.processor.consumeTraces(traces([chatSpan('Sort a dictionary by value in Python')]));
    const [classified] = await first.sink.waitForSpans(1);
    expect(getAttribute((classified as Span).attributes, 'semtel.status')).toBe('classified');
    expect([...shared.entries.values()]).toEqual([{ result: { labels, model: 'test-model' }, ttlMs: 60_000 }]);

    await second.processor.consumeTraces(traces([chatSpan('Sort a dictionary by value in Python')]));
    const [cached] = await second.sink.waitForSpans(1);
    expect(getAttribute((cached as Span).attributes, 'semtel.status')).toBe('cached');
    expect(getAttribute((cached as Span).attributes, 'semtel.domain')).toBe('technology_and_computing');
    expect(getAttribute((cached as Span).attributes, 'semtel.classifier.model')).toBe('test-model');
    expect(second.classifier.items).toBe(0);

    // The hit is now in the second replica's local cache: no further lookup.
    const gets = shared.gets;
    await second.processor.consumeTraces(traces([chatSpan('Sort a dictionary by value in Python')]));
    await second.sink.waitForSpans(2);
    expect(shared.gets).toBe(gets);
  });

  it('classifies as usual when the shared cache fails to read or write', async () => {
    const shared = new MemorySharedCache();
    shared.failGets = true;
    shared.failSets = true;
    const { processor, sink, classifier } = replica(shared);
    await processor.consumeTraces(traces([chatSpan('Explain TCP slow start')]));
    const [span] = await sink.waitForSpans(1);
    expect(getAttribute((span as Span).attributes, 'semtel.status')).toBe('classified');
    expect(classifier.items).toBe(1);
  });

  it('looks up each interaction once while copies of it wait', async () => {
    const shared = new MemorySharedCache();
    const { processor, sink, classifier } = replica(shared);
    await processor.consumeTraces(traces([chatSpan('What is a monad?'), chatSpan('What is a monad?')]));
    const spans = await sink.waitForSpans(2);
    expect(spans.map((span) => getAttribute(span.attributes, 'semtel.status')).sort()).toEqual([
      'cached',
      'classified',
    ]);
    expect(shared.gets).toBe(1);
    expect(classifier.items).toBe(1);
  });
});

describe('semantic processor factory with shared state', () => {
  it('refuses shared_state when the service offers none', () => {
    const result = semanticProcessorFactory.configSchema.safeParse({ shared_state: { endpoint: 'redis://x' } });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['shared_state']);
    expect(result.error?.issues[0]?.message).toMatch(/shared state is not available/);
  });

  it('opens the shared state, hands it to the LLM classifier, scopes cache keys by taxonomy version, and closes it', async () => {
    const shared = new MemorySharedCache();
    const lifecycle: string[] = [];
    const state: SharedState & { name: string } = {
      name: 'the state',
      resultCache: shared,
      start: async () => void lifecycle.push('start'),
      shutdown: async () => void lifecycle.push('shutdown'),
    };
    const received: unknown[] = [];
    const classifier = new CountingClassifier();
    const factory = createSemanticProcessorFactory({
      llmConfigSchema: z.unknown(),
      sharedStateConfigSchema: z.strictObject({ endpoint: z.string() }),
      createSharedState: (config) => {
        lifecycle.push(`create ${config.endpoint}`);
        return state;
      },
      createLlmClassifier: (_config, _telemetry, sharedState) => {
        received.push(sharedState);
        return classifier;
      },
    });
    const config = factory.configSchema.parse({
      shared_state: { endpoint: 'redis://127.0.0.1:6379' },
      batch: { max_wait: '10ms' },
    });
    const sink = new Sink();
    const processor = factory.create({ id: { type: 'semantic', name: '' }, telemetry: noopTelemetry }, config, {
      traces: sink,
    });
    await processor.start({ reportFatalError: () => {} });
    expect(received).toEqual([state]);
    await processor.consumeTraces?.(traces([chatSpan('Plan a trip to Lisbon')]));
    await sink.waitForSpans(1);
    expect([...shared.entries.keys()]).toEqual([expect.stringMatching(new RegExp(`^${taxonomy.version}:`))]);
    await processor.shutdown();
    await processor.shutdown();
    expect(lifecycle).toEqual(['create redis://127.0.0.1:6379', 'start', 'shutdown']);
  });
});
