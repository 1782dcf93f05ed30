import { defaultTaxonomy, maxOutputTokensPerItem } from '@semtel/classifier';
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

interface Exchange {
  bodies: Record<string, unknown>[];
  charged: number[];
  classifier: OpenAiClassifier;
}

/** A classifier whose endpoint answers from `answers` in turn (the last one repeats). */
function scripted(config: OpenAiClassifierConfigInput, answers: (() => Response)[] = [ok]): Exchange {
  const bodies: Record<string, unknown>[] = [];
  const charged: number[] = [];
  const classifier = new OpenAiClassifier(
    { base_url: 'http://127.0.0.1:9/v1', api_key: 'sk-test', ...config },
    {
      onRequest: (event) => charged.push(event.chargedTokens),
      fetch: async (_url, init) => {
        bodies.push(JSON.parse(String(init?.body)) as Record<string, unknown>);
        return (answers[Math.min(bodies.length, answers.length) - 1] as () => Response)();
      },
    },
  );
  return { bodies, charged, classifier };
}

function ok(): Response {
  const body = {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 0,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, message: { role: 'assistant', content: '{}' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 300, completion_tokens: 20, total_tokens: 320 },
  };
  return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
}

function refused(parameter: string): () => Response {
  return () =>
    new Response(
      JSON.stringify({
        error: {
          message: `Unsupported parameter: '${parameter}' is not supported with this model. Use 'max_completion_tokens' instead.`,
          type: 'invalid_request_error',
          param: parameter,
          code: 'unsupported_parameter',
        },
      }),
      { status: 400, headers: { 'content-type': 'application/json' } },
    );
}

const threeItems = [
  { id: 'i1', transcript: 'user: how do I fix a null pointer exception in Java?' },
  { id: 'i2', transcript: 'user: what should I eat before a marathon?' },
  { id: 'i3', transcript: 'user: plan a weekend in Lisbon' },
];

describe('OpenAiClassifier: the output cap', () => {
  it('always sends a cap sized to the batch (items × longest answer per item + 16) and charges prompt + cap', async () => {
    const { bodies, charged, classifier } = scripted({});
    await classifier.classify(threeItems, taxonomy);
    await classifier.classify(items, taxonomy);
    const perItem = maxOutputTokensPerItem(taxonomy);
    expect(bodies.map((body) => body.max_tokens)).toEqual([3 * perItem + 16, perItem + 16]);
    expect(bodies.every((body) => body.max_completion_tokens === undefined)).toBe(true);
    expect(charged[0]).toBeGreaterThan(3 * perItem + 16);
    expect((charged[0] as number) - (charged[1] as number)).toBeGreaterThan(2 * perItem);
  });

  it('takes a fixed max_output_tokens, or output_tokens_per_item and extra_output_tokens', async () => {
    const fixed = scripted({ max_output_tokens: 700 });
    await fixed.classifier.classify(threeItems, taxonomy);
    expect(fixed.bodies[0]?.max_tokens).toBe(700);
    const derived = scripted({ output_tokens_per_item: 40, extra_output_tokens: 1000 });
    await derived.classifier.classify(threeItems, taxonomy);
    expect(derived.bodies[0]?.max_tokens).toBe(3 * 40 + 1000);
  });

  it('sends max_completion_tokens to OpenAI, and the configured field when told', async () => {
    const openAi = scripted({ base_url: 'https://api.openai.com/v1' });
    await openAi.classifier.classify(items, taxonomy);
    expect(Object.keys(openAi.bodies[0] ?? {})).toContain('max_completion_tokens');
    expect(Object.keys(openAi.bodies[0] ?? {})).not.toContain('max_tokens');
    const told = scripted({ max_tokens_parameter: 'max_completion_tokens' });
    await told.classifier.classify(items, taxonomy);
    expect(told.bodies[0]?.max_completion_tokens).toBeGreaterThan(0);
  });

  it('auto: switches for good to the other field once the endpoint refuses the one sent, without spending an attempt', async () => {
    const { bodies, classifier } = scripted({ retry: { max_attempts: 1 } }, [refused('max_tokens'), ok]);
    await classifier.classify(items, taxonomy);
    await classifier.classify(items, taxonomy);
    expect(bodies.map((body) => ('max_tokens' in body ? 'max_tokens' : 'max_completion_tokens'))).toEqual([
      'max_tokens',
      'max_completion_tokens',
      'max_completion_tokens',
    ]);
  });

  it('an explicit field is never switched: the refusal is surfaced', async () => {
    const { bodies, classifier } = scripted({ max_tokens_parameter: 'max_tokens' }, [refused('max_tokens')]);
    await expect(classifier.classify(items, taxonomy)).rejects.toMatchObject({ kind: 'bad_request' });
    expect(bodies).toHaveLength(1);
  });
});
