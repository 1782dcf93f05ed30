import type { Classifier, ClassificationItem, ClassificationOutcome, ItemLabels } from '@semtel/classifier';
import type { Processor, TracesConsumer } from '@semtel/component';
import { noopTelemetry } from '@semtel/component';
import type { Span, Traces } from '@semtel/pdata';
import { createResource, createScope, createSpan, getAttribute, SpanKind } from '@semtel/pdata';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSemanticProcessorFactory } from './semantic-processor-factory.js';

const labels: ItemLabels = {
  intent: 'doing',
  task_type: 'computer_programming',
  domain: 'technology_and_computing',
  task_complexity: 'apply',
  user_expertise: 'intermediate',
  satisfaction: 'unknown',
  collaboration_mode: 'directive',
};

/** Answers only when `open` is called, so the requests in flight can be counted. */
class GatedClassifier implements Classifier {
  readonly model = 'test-model';
  readonly transcripts: string[] = [];
  inFlight = 0;
  mostInFlight = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly maxConcurrency?: number) {}

  async classify(items: ClassificationItem[]): Promise<ClassificationOutcome> {
    this.transcripts.push(...items.map((item) => item.transcript));
    this.inFlight += 1;
    this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.inFlight -= 1;
    return { labels: new Map(items.map((item) => [item.id, labels])), invalid: [], model: this.model };
  }

  open(): void {
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}

class Sink implements TracesConsumer {
  readonly spans: Span[] = [];
  async consumeTraces(traces: Traces): Promise<void> {
    for (const resourceSpans of traces.resourceSpans)
      for (const scopeSpans of resourceSpans.scopeSpans) this.spans.push(...scopeSpans.spans);
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
    ],
  });
}

function traces(spans: Span[]): Traces {
  return {
    resourceSpans: [
      {
        resource: createResource(),
        schemaUrl: '',
        scopeSpans: [{ scope: createScope('app'), schemaUrl: '', spans }],
      },
    ],
  };
}

const processors: Processor[] = [];
afterEach(async () => {
  await Promise.all(processors.splice(0).map((processor) => processor.shutdown()));
});

function createProcessor(classifier: GatedClassifier, config: unknown): { processor: Processor; sink: Sink } {
  const factory = createSemanticProcessorFactory({
    llmConfigSchema: z.unknown(),
    createLlmClassifier: () => classifier,
  });
  const sink = new Sink();
  const processor = factory.create(
    { id: { type: 'semantic', name: '' }, telemetry: noopTelemetry },
    factory.configSchema.parse(config),
    { traces: sink },
  );
  processors.push(processor);
  return { processor, sink };
}

async function send(processor: Processor, spans: Span[]): Promise<void> {
  if (!processor.consumeTraces) throw new Error('the semantic processor takes traces');
  await processor.consumeTraces(traces(spans));
}

/** Lets dispatched batches reach the classifier (each hop is a microtask or an immediate). */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 10; turn += 1) await new Promise((resolve) => setImmediate(resolve));
}

/** Sends `count` distinct interactions, one batch each, and returns the requests that went out at once. */
async function requestsInFlight(classifier: GatedClassifier, config: Record<string, unknown>, count: number) {
  const { processor, sink } = createProcessor(classifier, { batch: { max_items: 1 }, ...config });
  await send(
    processor,
    Array.from({ length: count }, (_, index) => chatSpan(`question ${index}`)),
  );
  await settle();
  const inFlight = classifier.inFlight;
  // Bounded: every batch is answered at least once per round.
  for (let round = 0; round < count && sink.spans.length < count; round += 1) {
    classifier.open();
    await settle();
  }
  expect(sink.spans.map((span) => getAttribute(span.attributes, 'semtel.status'))).toEqual(
    Array.from({ length: count }, () => 'classified'),
  );
  return inFlight;
}

describe('createSemanticProcessorFactory', () => {
  it('max_concurrency auto follows the classifier, else 4; a number is taken as configured', async () => {
    expect(await requestsInFlight(new GatedClassifier(6), {}, 10)).toBe(6);
    expect(await requestsInFlight(new GatedClassifier(6), { max_concurrency: 'auto' }, 10)).toBe(6);
    expect(await requestsInFlight(new GatedClassifier(), {}, 10)).toBe(4);
    expect(await requestsInFlight(new GatedClassifier(6), { max_concurrency: 2 }, 10)).toBe(2);
  });

  it('applies redaction pattern flags from the configuration', async () => {
    const classifier = new GatedClassifier();
    const { processor, sink } = createProcessor(classifier, {
      batch: { max_items: 1 },
      redaction: {
        patterns: [
          { name: 'employee_id', regex: 'employee-\\d+', flags: 'i' },
          { name: 'ticket', regex: 'tkt-\\d+' },
        ],
      },
    });
    await send(processor, [chatSpan('EMPLOYEE-42 asked about TKT-7 and tkt-8')]);
    await settle();
    classifier.open();
    await settle();
    expect(sink.spans).toHaveLength(1);
    expect(classifier.transcripts.join('\n')).toContain('[EMPLOYEE_ID] asked about TKT-7 and [TICKET]');
  });
});
