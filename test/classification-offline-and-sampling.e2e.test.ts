// The embedded default (no `llm`: the offline lexical classifier, no network) and trace-id
// sampling, end to end through a running semtel.
import { defaultTaxonomy } from '@semtel/classifier';
import { getAttribute } from '@semtel/pdata';
import { isTraceSampledIn } from '@semtel/processor-semantic';
import { buildSmallSpan, randomTraceId } from '@semtel/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatTraces } from './support/chat-spans.js';
import {
  buildChatSpan,
  buildChatTraces,
  chatConversations,
  checkChatDelivery,
  sendTraces,
  tracesOf,
} from './support/chat-spans.js';
import type { ClassificationStack, ClassificationStackOptions } from './support/classification-stack.js';
import { classifierModel, startClassificationStack } from './support/classification-stack.js';
import { labelProblems, offTaxonomyLabels, semtelStatus } from './support/semantic-assertions.js';

const taxonomy = defaultTaxonomy();

let stack: ClassificationStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function start(options: ClassificationStackOptions): Promise<ClassificationStack> {
  stack = await startClassificationStack(options);
  return stack;
}

describe('embedded default: the offline lexical classifier', () => {
  it('labels every GenAI span with semtel.classifier.model=lexical and calls no LLM', async () => {
    const running = await start({ llm: false });
    const sent = buildChatTraces(chatConversations.length);
    await sendTraces(running.httpEndpoint, sent.traces);
    const spans = await checkChatDelivery(running.sink, [sent], 20_000);
    for (const span of spans) {
      expect(semtelStatus(span), running.logger.problems()).toMatch(/^(classified|cached)$/);
      expect(labelProblems(span, taxonomy, { model: 'lexical' })).toEqual([]);
    }
    // A real classifier, not a constant: conversations on different subjects get different domains.
    const domains = new Set(spans.map((span) => getAttribute(span.attributes, 'semtel.domain')));
    expect(domains.size).toBeGreaterThanOrEqual(3);
    expect(running.classifierLlm.requests).toHaveLength(0);
    // One line at start says how to connect an LLM.
    const hints = running.logger.lines.filter((line) => /OPENAI_API_KEY/.test(line.message));
    expect(hints).toHaveLength(1);
  });
});

describe('sampling on the trace id', () => {
  it('ratio 0: every GenAI span is sampled_out, unlabelled, and nothing is sent to the LLM', async () => {
    const running = await start({ semantic: { sampling: { ratio: 0 } } });
    const sent = buildChatTraces(6);
    await sendTraces(running.httpEndpoint, sent.traces);
    const spans = await checkChatDelivery(running.sink, [sent], 20_000);
    for (const span of spans) {
      expect(semtelStatus(span)).toBe('sampled_out');
      expect(getAttribute(span.attributes, 'semtel.intent')).toBeUndefined();
      expect(offTaxonomyLabels(span, taxonomy)).toEqual([]);
    }
    expect(running.classifierLlm.modelRequests).toHaveLength(0);
  });

  it('ratio 0.5: all GenAI spans of a trace share the decision, which follows the trace id', async () => {
    const running = await start({ semantic: { sampling: { ratio: 0.5 } } });
    const traceCount = 40;
    const batches: ChatTraces[] = [];
    for (let index = 0; index < traceCount; index += 1) {
      // An agent-like trace: one request span with two chat calls on different subjects.
      const traceId = randomTraceId();
      const server = buildSmallSpan({ traceId, name: 'POST /api/agent' });
      const calls = [0, 1].map((call) =>
        buildChatSpan({
          traceId,
          parentSpanId: server.spanId,
          conversation: chatConversations[
            (index + call * 3) % chatConversations.length
          ] as (typeof chatConversations)[number],
          salt: `trace ${index} call ${call}`,
        }),
      );
      batches.push({ genAi: calls, plain: [server], traces: tracesOf(calls, [server]) });
    }
    await sendTraces(running.httpEndpoint, {
      resourceSpans: batches.flatMap((batch) => batch.traces.resourceSpans),
    });
    const spans = await checkChatDelivery(running.sink, batches, 20_000);
    const decisions = new Map<string, Set<string>>();
    for (const span of spans) {
      const status = semtelStatus(span) ?? 'none';
      const sampledIn = status === 'classified' || status === 'cached';
      expect(sampledIn || status === 'sampled_out', `status ${status}: ${running.logger.problems()}`).toBe(true);
      expect(sampledIn).toBe(isTraceSampledIn(span.traceId, 0.5));
      if (sampledIn) expect(labelProblems(span, taxonomy, { model: classifierModel })).toEqual([]);
      const seen = decisions.get(span.traceId) ?? new Set<string>();
      seen.add(sampledIn ? 'in' : 'out');
      decisions.set(span.traceId, seen);
    }
    expect(decisions.size).toBe(traceCount);
    for (const seen of decisions.values()) expect(seen.size).toBe(1);
    const sampledTraces = [...decisions.values()].filter((seen) => seen.has('in')).length;
    // 40 random trace ids: both outcomes occur (the chance that they do not is 2 × 2^-40).
    expect(sampledTraces).toBeGreaterThan(0);
    expect(sampledTraces).toBeLessThan(traceCount);
    // Only the sampled-in interactions were sent to the classifier.
    const classifiedItems = running.classifierLlm.modelRequests
      .filter((request) => request.status === 200)
      .reduce((total, request) => {
        const schema = (request.body as { response_format?: { json_schema?: { schema?: { required?: unknown[] } } } })
          .response_format?.json_schema?.schema;
        return total + (schema?.required?.length ?? 0);
      }, 0);
    expect(classifiedItems).toBe(sampledTraces * 2);
  });
});
