// Classification under classifier-LLM faults. Hand-built OTLP (HTTP server spans with GenAI chat
// children) goes to a running semtel whose semantic processor classifies through a
// FakeOpenAiServer injecting one fault at a time. Whatever the fault, every span is delivered
// exactly once, with the status the fault calls for, and no off-taxonomy label reaches a span.
import { defaultTaxonomy } from '@semtel/classifier';
import type { Span } from '@semtel/pdata';
import { getAttribute } from '@semtel/pdata';
import type { FakeOpenAiBehaviour } from '@semtel/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatTraces } from './support/chat-spans.js';
import { buildChatTraces, checkChatDelivery, sendTraces } from './support/chat-spans.js';
import type { ClassificationStack, ClassificationStackOptions } from './support/classification-stack.js';
import { classifierModel, startClassificationStack } from './support/classification-stack.js';
import { labelProblems, offTaxonomyLabels, semtelStatus } from './support/semantic-assertions.js';

const taxonomy = defaultTaxonomy();
const dimensionNames = taxonomy.dimensions.filter((dimension) => dimension.enabled).map((dimension) => dimension.name);
const deliveryTimeoutMs = 20_000;

let stack: ClassificationStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function start(options: ClassificationStackOptions = {}): Promise<ClassificationStack> {
  stack = await startClassificationStack(options);
  return stack;
}

/** Sends `count` GenAI calls (with their HTTP parents) in one OTLP request and returns them as delivered. */
async function sendAndDeliver(running: ClassificationStack, count: number): Promise<Span[]> {
  const sent: ChatTraces = buildChatTraces(count);
  await sendTraces(running.httpEndpoint, sent.traces);
  const delivered = await checkChatDelivery(running.sink, [sent], deliveryTimeoutMs);
  for (const span of delivered) expect(offTaxonomyLabels(span, taxonomy), span.spanId).toEqual([]);
  return delivered;
}

function expectLabelled(running: ClassificationStack, spans: Span[]): void {
  for (const span of spans) {
    expect(semtelStatus(span), running.logger.problems()).toMatch(/^(classified|cached)$/);
    expect(labelProblems(span, taxonomy, { model: classifierModel })).toEqual([]);
  }
}

function outcomes(running: ClassificationStack): string[] {
  return running.classifierLlm.modelRequests.map((request) => request.outcome ?? 'unanswered');
}

function labelsOf(span: Span): Record<string, unknown> {
  return Object.fromEntries(dimensionNames.map((name) => [name, getAttribute(span.attributes, `semtel.${name}`)]));
}

describe('classification under classifier LLM faults', () => {
  it('429 with rate-limit headers (retry-after, retry-after-ms, x-ratelimit-*): retried, then classified', async () => {
    const running = await start();
    const limited: FakeOpenAiBehaviour = { kind: 'rate_limited', retryAfterMs: 400, retryAfterHeader: 'both' };
    running.classifierLlm.enqueue(limited, { ...limited, type: 'tokens' });
    const spans = await sendAndDeliver(running, 6);
    expectLabelled(running, spans);
    expect(outcomes(running).slice(0, 2)).toEqual(['rate_limited', 'rate_limited']);
    expect(outcomes(running).at(-1)).toBe('ok');
  });

  it('5xx (500, then 503 with retry-after): retried, then classified', async () => {
    const running = await start();
    running.classifierLlm.enqueue(
      { kind: 'server_error' },
      { kind: 'server_error', status: 503, retryAfterSeconds: 1 },
    );
    const spans = await sendAndDeliver(running, 6);
    expectLabelled(running, spans);
    expect(outcomes(running).slice(0, 2)).toEqual(['server_error', 'server_error']);
    expect(outcomes(running).at(-1)).toBe('ok');
  });

  it('malformed JSON once: the batch is re-sent and classified', async () => {
    const running = await start();
    running.classifierLlm.enqueue({ kind: 'malformed_json' });
    const spans = await sendAndDeliver(running, 6);
    expectLabelled(running, spans);
    expect(outcomes(running)[0]).toBe('malformed_json');
    expect(outcomes(running).slice(1)).not.toContain('malformed_json');
  });

  it('malformed JSON on every answer: every GenAI span leaves with status error after bounded attempts', async () => {
    const running = await start({
      semantic: { retry: { max_attempts: 3 } },
      classifierOptions: { faults: { behaviour: { kind: 'malformed_json' } } },
    });
    const spans = await sendAndDeliver(running, 4);
    for (const span of spans) {
      expect(semtelStatus(span)).toBe('error');
      expect(getAttribute(span.attributes, 'semtel.domain')).toBeUndefined();
    }
    // One batch of 4, then re-sent in halves: never more than attempts × items requests.
    expect(running.classifierLlm.modelRequests.length).toBeGreaterThanOrEqual(3);
    expect(running.classifierLlm.modelRequests.length).toBeLessThanOrEqual(3 * 4);
  });

  it('off-taxonomy labels, respelled: snapped back to exactly the labels a faithful answer gives', async () => {
    const faithful = await start();
    const sent = buildChatTraces(6, { salt: 'snap check' });
    await sendTraces(faithful.httpEndpoint, sent.traces);
    const expected = (await checkChatDelivery(faithful.sink, [sent], deliveryTimeoutMs)).map(labelsOf);
    await faithful.close();
    stack = undefined;

    // The same spans again: the fake answers the same labels in another spelling (HEALTH AND WELLNESS).
    const running = await start({
      classifierOptions: { faults: { behaviour: { kind: 'off_taxonomy', mode: 'variant' } } },
    });
    await sendTraces(running.httpEndpoint, sent.traces);
    const spans = await checkChatDelivery(running.sink, [sent], deliveryTimeoutMs);
    expectLabelled(running, spans);
    expect(spans.map(labelsOf)).toEqual(expected);
    expect(outcomes(running).every((outcome) => outcome === 'off_taxonomy')).toBe(true);
  });

  it('off-taxonomy labels, invented: every label becomes unknown, never the invented one', async () => {
    const running = await start({
      classifierOptions: { faults: { behaviour: { kind: 'off_taxonomy', mode: 'invented' } } },
    });
    const spans = await sendAndDeliver(running, 6);
    // The items are there, so they count as answered; each made-up label is snapped to unknown.
    expectLabelled(running, spans);
    for (const span of spans) {
      for (const value of Object.values(labelsOf(span))) expect(value).toBe('unknown');
    }
  });

  it('missing items once: the missing ones are re-sent and every span is classified', async () => {
    const running = await start();
    running.classifierLlm.enqueue({ kind: 'missing_items', count: 2 });
    const spans = await sendAndDeliver(running, 6);
    expectLabelled(running, spans);
    expect(outcomes(running)[0]).toBe('missing_items');
    // The re-sent request carries only the two items that were missing.
    const resent = running.classifierLlm.modelRequests[1];
    const schema = (resent?.body as { response_format?: { json_schema?: { schema?: { required?: unknown[] } } } })
      .response_format?.json_schema?.schema;
    expect(schema?.required).toHaveLength(2);
  });

  it('an item missing from every answer: released with status error, the others classified', async () => {
    const running = await start({
      semantic: { retry: { max_attempts: 2 } },
      classifierOptions: { faults: { behaviour: { kind: 'missing_items', count: 1 } } },
    });
    const spans = await sendAndDeliver(running, 5);
    const statuses = spans.map((span) => semtelStatus(span));
    expect(statuses).toContain('error');
    expect(statuses.some((status) => status === 'classified')).toBe(true);
    for (const span of spans) {
      if (semtelStatus(span) === 'error') expect(getAttribute(span.attributes, 'semtel.intent')).toBeUndefined();
      else expectLabelled(running, [span]);
    }
  });

  it('the classifier hangs: spans leave at max_hold with status timeout, HTTP spans at once', async () => {
    const running = await start({
      semantic: { max_hold: '2s', join_wait: '1s' },
      llm: { timeout: '30s' },
      classifierOptions: { faults: { behaviour: { kind: 'hang' } } },
    });
    const sent = buildChatTraces(4);
    await sendTraces(running.httpEndpoint, sent.traces);
    // Non-GenAI spans are never held: they are delivered while the GenAI ones still wait.
    await running.sink.waitForSpans(sent.plain.length, 5_000);
    expect(
      running.sink
        .spans()
        .map(({ span }) => span.spanId)
        .sort(),
    ).toEqual(sent.plain.map((span) => span.spanId).sort());
    const spans = await checkChatDelivery(running.sink, [sent], deliveryTimeoutMs);
    for (const span of spans) {
      expect(semtelStatus(span)).toBe('timeout');
      expect(offTaxonomyLabels(span, taxonomy)).toEqual([]);
      expect(getAttribute(span.attributes, 'semtel.domain')).toBeUndefined();
    }
    expect(outcomes(running)).toContain('hang');
  });

  it('json_schema rejected: falls back to json_object mode and classifies', async () => {
    const running = await start({
      llm: { response_format: 'auto' },
      classifierOptions: { faults: { rejectJsonSchema: true } },
    });
    const spans = await sendAndDeliver(running, 6);
    expectLabelled(running, spans);
    const requests = running.classifierLlm.modelRequests;
    expect(requests[0]?.responseFormat).toBe('json_schema');
    expect(requests[0]?.outcome).toBe('reject_json_schema');
    const later = requests.slice(1);
    expect(later.length).toBeGreaterThan(0);
    for (const request of later) {
      expect(request.responseFormat).toBe('json_object');
      expect(request.status).toBe(200);
    }
  });
});
