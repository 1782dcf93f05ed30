import { defaultTaxonomy } from '@semtel/classifier';
import { describe, expect, it } from 'vitest';
import type { LlmError } from './llm-error.js';
import type { OpenAiClassifierConfigInput } from './openai-classifier-config.js';
import { OpenAiClassifier } from './openai-classifier.js';

const taxonomy = defaultTaxonomy();
const items = [{ id: 'i1', transcript: 'user: how do I fix a null pointer exception in Java?' }];

interface StubEndpoint {
  bodies: Record<string, unknown>[];
  classifier: OpenAiClassifier;
}

/** An endpoint that answers every request with a small usage and no `x-ratelimit-*` headers. */
function stub(config: OpenAiClassifierConfigInput): StubEndpoint {
  const bodies: Record<string, unknown>[] = [];
  const classifier = new OpenAiClassifier(
    { base_url: 'http://127.0.0.1:9/v1', api_key: 'sk-test', ...config },
    {
      // Frozen clock: the buckets never refill, so every charge shows.
      now: () => 0,
      fetch: async (_url, init) => {
        bodies.push(JSON.parse(String(init?.body)) as Record<string, unknown>);
        const body = {
          id: `chatcmpl-${bodies.length}`,
          object: 'chat.completion',
          created: 0,
          model: 'gpt-4o-mini',
          choices: [{ index: 0, message: { role: 'assistant', content: '{}' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 300, completion_tokens: 20, total_tokens: 320 },
        };
        return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
      },
    },
  );
  return { bodies, classifier };
}

async function outcomes(classifier: OpenAiClassifier, count: number): Promise<string[]> {
  const kinds: string[] = [];
  for (let index = 0; index < count; index += 1) {
    kinds.push(
      await classifier.classify(items, taxonomy).then(
        () => 'sent',
        (error: unknown) => (error as LlmError).kind,
      ),
    );
  }
  return kinds;
}

describe('OpenAiClassifier: what the rate limiter charges', () => {
  it('keeps prompt + output cap charged after the answer, as OpenAI and Azure count it, without headers', async () => {
    // Each request is charged its prompt plus 2000 output tokens; the endpoint used 320. Refunding the
    // unused 1680 would let five times as many requests through as the endpoint accepts.
    const { bodies, classifier } = stub({ tpm: 10_000, max_output_tokens: 2000, max_queue_wait: 0 });
    const kinds = await outcomes(classifier, 10);
    expect(bodies.length).toBeLessThanOrEqual(5);
    expect(kinds.slice(bodies.length)).toEqual(Array.from({ length: 10 - bodies.length }, () => 'rate_limited'));
  });

  it('refunds the unused part when refund_unused_tokens is on (gateways that count usage)', async () => {
    const { bodies, classifier } = stub({
      tpm: 10_000,
      max_output_tokens: 2000,
      max_queue_wait: 0,
      refund_unused_tokens: true,
    });
    expect(await outcomes(classifier, 10)).toEqual(Array.from({ length: 10 }, () => 'sent'));
    expect(bodies).toHaveLength(10);
  });
});
