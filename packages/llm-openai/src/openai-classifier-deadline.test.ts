import { defaultTaxonomy } from '@semtel/classifier';
import { describe, expect, it } from 'vitest';
import type { LlmError } from './llm-error.js';
import type { OpenAiClassifierConfigInput } from './openai-classifier-config.js';
import { deadlineExceededCode, OpenAiClassifier } from './openai-classifier.js';

const taxonomy = defaultTaxonomy();
const items = [{ id: 'i1', transcript: 'user: how do I fix a null pointer exception in Java?' }];

function answer(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

const serverError = (): Response =>
  answer(500, { error: { message: 'The server had an error', type: 'server_error', param: null, code: null } });
const rateLimited = (): Response =>
  answer(
    429,
    { error: { message: 'Rate limit reached.', type: 'requests', param: null, code: 'rate_limit_exceeded' } },
    { 'retry-after-ms': '6000' },
  );

function setup(
  config: OpenAiClassifierConfigInput,
  respond: () => Response,
): { classifier: OpenAiClassifier; sent: () => number } {
  let sent = 0;
  const classifier = new OpenAiClassifier(
    { base_url: 'http://127.0.0.1:9/v1', api_key: 'sk-test', ...config },
    {
      random: () => 0.5,
      fetch: () => {
        sent += 1;
        return Promise.resolve(respond());
      },
    },
  );
  return { classifier, sent: () => sent };
}

async function failure(promise: Promise<unknown>): Promise<LlmError> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error as LlmError,
  );
}

describe('OpenAiClassifier: the caller’s deadline', () => {
  it('does not start a retry whose backoff and expected duration end after the deadline', async () => {
    const retry = { max_attempts: 3, initial_backoff: '10s', max_backoff: '10s' };
    const bounded = setup({ retry }, serverError);
    const error = await failure(
      bounded.classifier.classify(items, taxonomy, undefined, { deadline: Date.now() + 5000 }),
    );
    expect(error).toMatchObject({ kind: 'unavailable', code: deadlineExceededCode, status: 500 });
    expect(error.message).toContain('The server had an error');
    expect(bounded.sent()).toBe(1);
  });

  it('does not wait out a retry-after that ends past the deadline', async () => {
    const bounded = setup({}, rateLimited);
    const error = await failure(
      // Room for the first attempt (a fresh endpoint expects 1 s) on a slow machine, none for the retry.
      bounded.classifier.classify(items, taxonomy, undefined, { deadline: Date.now() + 3000 }),
    );
    expect(error).toMatchObject({ kind: 'unavailable', code: deadlineExceededCode });
    expect(bounded.sent()).toBe(1);
  });

  it('sends nothing when even the first attempt could not finish in time', async () => {
    const { classifier, sent } = setup({}, serverError);
    const error = await failure(classifier.classify(items, taxonomy, undefined, { deadline: Date.now() + 10 }));
    expect(error).toMatchObject({ kind: 'timeout', code: deadlineExceededCode });
    expect(sent()).toBe(0);
  });

  it('retries as before without a deadline, or with a distant one', async () => {
    const retry = { max_attempts: 3, initial_backoff: '1ms', max_backoff: '2ms' };
    const open = setup({ retry }, serverError);
    await failure(open.classifier.classify(items, taxonomy));
    expect(open.sent()).toBe(3);
    const distant = setup({ retry }, serverError);
    await failure(distant.classifier.classify(items, taxonomy, undefined, { deadline: Date.now() + 60_000 }));
    expect(distant.sent()).toBe(3);
  });

  it('says how many requests it can usefully have in flight: the primaries’ concurrency maximum together', () => {
    const one = setup({ concurrency: { max: 16 } }, serverError).classifier;
    expect(one.maxConcurrency).toBe(16);
    const several = new OpenAiClassifier({
      endpoints: [
        { name: 'a', base_url: 'http://127.0.0.1:9/v1' },
        { name: 'b', base_url: 'http://127.0.0.1:10/v1' },
      ],
      fallback_model: 'gpt-4.1-nano',
    });
    expect(several.maxConcurrency).toBe(2 * 64);
  });
});
