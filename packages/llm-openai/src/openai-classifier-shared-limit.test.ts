import { defaultTaxonomy } from '@semtel/classifier';
import { describe, expect, it } from 'vitest';
import { OpenAiClassifier } from './openai-classifier.js';
import type { SharedRateLimitGrant, SharedRateLimiter } from './shared-rate-limiter.js';

function completionResponse(): Response {
  const body = {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 0,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, message: { role: 'assistant', content: '{}' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 },
  };
  return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
}

function setup(grant: SharedRateLimitGrant): { classifier: OpenAiClassifier; sent: () => number; asked: () => number } {
  let sent = 0;
  let asked = 0;
  const shared: SharedRateLimiter = {
    acquire: () => {
      asked += 1;
      return Promise.resolve(grant);
    },
  };
  const classifier = new OpenAiClassifier(
    { base_url: 'http://127.0.0.1:9/v1', api_key: 'sk-test', tpm: 100_000, max_queue_wait: '5s' },
    {
      sharedRateLimiter: shared,
      fetch: () => {
        sent += 1;
        return Promise.resolve(completionResponse());
      },
    },
  );
  return { classifier, sent: () => sent, asked: () => asked };
}

const items = [{ id: 'i1', transcript: 'user: how do I fix a null pointer exception in Java?' }];

describe('OpenAiClassifier with a shared rate limiter', () => {
  it('sends once the shared limit grants the request', async () => {
    const { classifier, sent, asked } = setup({ granted: true });
    await classifier.classify(items, defaultTaxonomy());
    expect(asked()).toBe(1);
    expect(sent()).toBe(1);
  });

  it('fails fast with rate_limited and sends nothing when the shared limit is spent for longer than max_queue_wait', async () => {
    const { classifier, sent } = setup({ granted: false, retryAfterMs: 30_000 });
    await expect(classifier.classify(items, defaultTaxonomy())).rejects.toMatchObject({
      kind: 'rate_limited',
      retryAfterMs: 30_000,
    });
    expect(sent()).toBe(0);
    // The endpoint did nothing wrong: its circuit stays closed and its concurrency limit unchanged.
    expect(classifier.snapshot().endpoints[0]).toMatchObject({ circuit: 'closed', concurrencyLimit: 8 });
  });
});
