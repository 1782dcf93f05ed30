// The real `openai` client (inside @semtel/llm-openai) against the fake OpenAI-compatible server.
import { defaultTaxonomy } from '@semtel/classifier';
import type { ClassificationItem, Taxonomy } from '@semtel/classifier';
import { LlmError, OpenAiClassifier } from '@semtel/llm-openai';
import type { LlmRequestEvent, OpenAiClassifierConfigInput, OpenAiClassifierOptions } from '@semtel/llm-openai';
import { FakeOpenAiServer } from '@semtel/testing';
import type { FakeOpenAiServerOptions } from '@semtel/testing';
import { afterEach, describe, expect, it } from 'vitest';

const taxonomy: Taxonomy = {
  version: 'e2e-test',
  dimensions: [
    {
      name: 'domain',
      description: 'The subject area of the interaction.',
      multiLabel: false,
      enabled: true,
      labels: [
        { name: 'software_development', description: 'Programming, code, compilers, software projects.' },
        { name: 'health_and_wellness', description: 'Health, diet, fitness, sleep.' },
        { name: 'travel', description: 'Trips, flights, hotels.' },
      ],
    },
    {
      name: 'intent',
      description: 'What the user wants.',
      multiLabel: false,
      enabled: true,
      labels: [
        { name: 'ask_question', description: 'The user asks for information.' },
        { name: 'write_code', description: 'The user wants code written.' },
      ],
    },
    {
      name: 'topics',
      description: 'Topics mentioned.',
      multiLabel: true,
      enabled: true,
      labels: [
        { name: 'typescript', description: 'The TypeScript language.' },
        { name: 'nutrition', description: 'Food and diet.' },
      ],
    },
  ],
};

const items: ClassificationItem[] = [
  {
    id: 'item-a',
    transcript:
      'user: How do I fix this TypeScript compile error in my software project?\nassistant: Check the tsconfig.',
  },
  {
    id: 'item-b',
    transcript: 'user: What should I eat to improve my health and sleep wellness?\nassistant: Eat vegetables.',
  },
];
const itemIds = items.map((item) => item.id);
const apiKey = 'sk-test-e2e-0123456789abcdef';

let server: FakeOpenAiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(
  config: OpenAiClassifierConfigInput = {},
  serverOptions: FakeOpenAiServerOptions = {},
  options: OpenAiClassifierOptions = {},
): Promise<{ fake: FakeOpenAiServer; classifier: OpenAiClassifier; events: LlmRequestEvent[]; delays: number[] }> {
  const fake = await FakeOpenAiServer.start({ apiKey, ...serverOptions });
  server = fake;
  const events: LlmRequestEvent[] = [];
  const delays: number[] = [];
  const classifier = new OpenAiClassifier(
    {
      base_url: fake.baseUrl,
      api_key: apiKey,
      timeout: '5s',
      retry: { initial_backoff: '10ms', max_backoff: '50ms' },
      ...config,
    },
    { onRequest: (event) => events.push(event), onRetry: (event) => delays.push(event.delayMs), ...options },
  );
  return { fake, classifier, events, delays };
}

function labelNames(dimension: string): string[] {
  return [
    ...(taxonomy.dimensions.find((entry) => entry.name === dimension)?.labels.map((label) => label.name) ?? []),
    'unknown',
  ];
}

async function rejection(promise: Promise<unknown>): Promise<LlmError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(LlmError);
  return error as LlmError;
}

describe('OpenAiClassifier against the fake server', () => {
  it('round-trips structured output: system instructions first, strict json_schema, labels, usage and response id', async () => {
    const { fake, classifier, events } = await setup();
    const outcome = await classifier.classify(items, taxonomy);
    expect(outcome.invalid).toEqual([]);
    expect([...outcome.labels.keys()].sort()).toEqual(itemIds);
    expect(outcome.labels.get('item-a')?.domain).toBe('software_development');
    expect(outcome.labels.get('item-b')?.domain).toBe('health_and_wellness');
    for (const labels of outcome.labels.values()) {
      expect(labelNames('intent')).toContain(labels.intent);
      expect(Array.isArray(labels.topics)).toBe(true);
    }
    expect(outcome.responseId).toMatch(/^chatcmpl-fake-/);
    expect(outcome.model).toBe('gpt-4o-mini');
    expect(outcome.usage?.inputTokens).toBeGreaterThan(0);
    expect(outcome.usage?.outputTokens).toBeGreaterThan(0);

    const request = fake.modelRequests[0];
    const body = request?.body as {
      messages: { role: string; content: string }[];
      response_format: { type: string; json_schema: { name: string; strict: boolean } };
      temperature: number;
    };
    expect(request?.path).toBe('/v1/chat/completions');
    expect(request?.authentication).toBe('bearer');
    expect(body.messages.map((message) => message.role)).toEqual(['system', 'user']);
    expect(body.messages[1]?.content).toContain(items[0]?.transcript.slice(0, 30));
    expect(body.response_format).toMatchObject({
      type: 'json_schema',
      json_schema: { name: 'semtel_classification', strict: true },
    });
    expect(body.temperature).toBe(0);
    // Output is always capped, by the batch's longest possible answer, and the limiter charges the cap.
    const cap = (request?.body as { max_tokens?: number }).max_tokens;
    expect(cap).toBeGreaterThan(0);
    expect(cap).toBeGreaterThanOrEqual(outcome.usage?.outputTokens ?? Infinity);
    expect(events[0]?.chargedTokens).toBeGreaterThanOrEqual((cap ?? 0) + (outcome.usage?.inputTokens ?? 0) - 16);
    expect(request?.headers['x-stainless-retry-count']).toBe('0');
    expect(events).toEqual([
      expect.objectContaining({ outcome: 'success', responseFormat: 'json_schema', status: 200 }),
    ]);
  });

  it('reports cached input tokens when the stable instructions prefix repeats', async () => {
    const { classifier } = await setup();
    const fullTaxonomy = defaultTaxonomy();
    // Positional ids keep the output schema, which precedes the instructions in the cached prefix, identical.
    const first = await classifier.classify(
      [
        { id: 'i1', transcript: 'user: Fix my TypeScript build.' },
        { id: 'i2', transcript: 'user: What is a healthy breakfast?' },
      ],
      fullTaxonomy,
    );
    const second = await classifier.classify(
      [
        { id: 'i1', transcript: 'user: Plan a trip to Lisbon for me.' },
        { id: 'i2', transcript: 'user: Write a haiku about rain.' },
      ],
      fullTaxonomy,
    );
    expect(first.usage?.cachedInputTokens).toBe(0);
    expect(second.usage?.cachedInputTokens).toBeGreaterThanOrEqual(1024);
  });

  it('falls back to json_object after a 400 refusing json_schema, and remembers it', async () => {
    const { fake, classifier } = await setup({}, { faults: { rejectJsonSchema: true } });
    const outcome = await classifier.classify(items, taxonomy);
    expect(outcome.invalid).toEqual([]);
    expect(outcome.labels.get('item-b')?.domain).toBe('health_and_wellness');
    expect(fake.modelRequests.map((request) => [request.responseFormat, request.status])).toEqual([
      ['json_schema', 400],
      ['json_object', 200],
    ]);
    expect(classifier.responseFormat).toBe('json_object');
    await classifier.classify(items, taxonomy);
    expect(fake.modelRequests.slice(2).map((request) => request.responseFormat)).toEqual(['json_object']);
  });

  it('does not fall back when json_schema is required by config', async () => {
    const { fake, classifier } = await setup(
      { response_format: 'json_schema' },
      { faults: { rejectJsonSchema: true } },
    );
    const error = await rejection(classifier.classify(items, taxonomy));
    expect(error.kind).toBe('bad_request');
    expect(fake.modelRequests).toHaveLength(1);
  });

  it('retries a 429, waiting at least the delay the headers ask for', async () => {
    const { fake, classifier, delays, events } = await setup();
    fake.enqueue({ kind: 'rate_limited', retryAfterMs: 300, retryAfterHeader: 'milliseconds' });
    const outcome = await classifier.classify(items, taxonomy);
    expect(outcome.invalid).toEqual([]);
    expect(fake.modelRequests.map((request) => request.status)).toEqual([429, 200]);
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBeGreaterThanOrEqual(300);
    expect(events[0]).toMatchObject({ outcome: 'rate_limited', status: 429, retryAfterMs: 300 });
    expect(events[0]?.rateLimits?.requests.remaining).toBe(0);
  });

  it('retries a 429 that only says "try again in" in its message', async () => {
    const { fake, classifier, delays } = await setup();
    fake.enqueue({ kind: 'rate_limited', retryAfterMs: 250, retryAfterHeader: 'none', rateLimitHeaders: false });
    await classifier.classify(items, taxonomy);
    expect(delays[0]).toBeGreaterThanOrEqual(250);
    expect(fake.modelRequests).toHaveLength(2);
  });

  it('without a retry hint, waits for this request’s charge, not for the full-bucket reset of 6m0s', async () => {
    const { fake, classifier, delays } = await setup();
    // limit-tokens 200000, remaining-tokens 0, reset-tokens 6m0s; no retry-after, no "try again in".
    fake.enqueue({
      kind: 'rate_limited',
      type: 'tokens',
      retryAfterMs: 360_000,
      retryAfterHeader: 'none',
      messageHint: false,
    });
    const outcome = await classifier.classify(items, taxonomy);
    expect(outcome.labels.size).toBe(2);
    expect(fake.modelRequests.map((request) => request.status)).toEqual([429, 200]);
    // Bounded by max_backoff (50ms here), far below max_retry_delay: the endpoint stays in rotation.
    expect(delays[0]).toBeLessThan(1000);
    expect(classifier.snapshot().endpoints[0]?.circuit).toBe('closed');
  });

  it('hands a long retry-after back to the caller instead of waiting (RPM enforced by the fake)', async () => {
    const { fake, classifier } = await setup(
      { retry: { max_retry_delay: '5s' } },
      { faults: { rateLimits: { requestsPerMinute: 1 } } },
    );
    await classifier.classify(items, taxonomy);
    expect(classifier.rateLimits?.requests).toMatchObject({ limit: 1, remaining: 0 });
    const error = await rejection(classifier.classify(items, taxonomy));
    expect(error.kind).toBe('rate_limited');
    expect(error.retryAfterMs).toBeGreaterThan(5000);
    // The limiter knows the window is spent, so the second call fails fast without being sent.
    expect(fake.modelRequests).toHaveLength(1);
  });

  it('does not retry insufficient_quota', async () => {
    const { fake, classifier } = await setup();
    fake.enqueue({ kind: 'insufficient_quota' });
    const error = await rejection(classifier.classify(items, taxonomy));
    expect(error.kind).toBe('quota_exhausted');
    expect(error.retryable).toBe(false);
    expect(fake.modelRequests).toHaveLength(1);
  });

  it('retries 5xx answers', async () => {
    const { fake, classifier, delays } = await setup();
    fake.enqueue({ kind: 'server_error', status: 500 }, { kind: 'server_error', status: 503 });
    const outcome = await classifier.classify(items, taxonomy);
    expect(outcome.labels.size).toBe(2);
    expect(fake.modelRequests.map((request) => request.status)).toEqual([500, 503, 200]);
    expect(delays).toHaveLength(2);
  });

  it('gives up on 5xx after the configured attempts', async () => {
    const { fake, classifier } = await setup(
      { retry: { max_attempts: 2, initial_backoff: '1ms' } },
      { faults: { behaviour: { kind: 'server_error' } } },
    );
    const error = await rejection(classifier.classify(items, taxonomy));
    expect(error).toMatchObject({ kind: 'server', status: 500 });
    expect(fake.modelRequests).toHaveLength(2);
  });

  it('sorts context-length and too-large requests without retrying', async () => {
    const { fake, classifier } = await setup();
    fake.enqueue({ kind: 'context_length' }, { kind: 'request_too_large' });
    expect((await rejection(classifier.classify(items, taxonomy))).kind).toBe('context_length');
    expect((await rejection(classifier.classify(items, taxonomy))).kind).toBe('request_too_large');
    expect(fake.modelRequests).toHaveLength(2);
  });

  it('marks every item invalid when the JSON is malformed', async () => {
    const { fake, classifier } = await setup();
    fake.enqueue({ kind: 'malformed_json' });
    const outcome = await classifier.classify(items, taxonomy);
    expect(outcome.labels.size).toBe(0);
    expect([...outcome.invalid].sort()).toEqual(itemIds);
    expect(outcome.responseId).toBeDefined();
  });

  it('snaps respelled labels back to the taxonomy and invented ones to unknown', async () => {
    const { fake, classifier } = await setup();
    const faithful = await classifier.classify(items, taxonomy);
    fake.enqueue({ kind: 'off_taxonomy', mode: 'variant' }, { kind: 'off_taxonomy', mode: 'invented' });
    const variant = await classifier.classify(items, taxonomy);
    expect(variant.labels).toEqual(faithful.labels);
    const invented = await classifier.classify(items, taxonomy);
    for (const id of itemIds) {
      if (invented.invalid.includes(id)) continue;
      expect(invented.labels.get(id)?.domain).toBe('unknown');
      expect(invented.labels.get(id)?.intent).toBe('unknown');
    }
    expect(JSON.stringify([...invented.labels.values()])).not.toContain('invented_label');
  });

  it('marks missing items invalid and keeps the others', async () => {
    const { fake, classifier } = await setup();
    fake.enqueue({ kind: 'missing_items', count: 1 });
    const outcome = await classifier.classify(items, taxonomy);
    expect(outcome.invalid).toEqual(['item-b']);
    expect([...outcome.labels.keys()]).toEqual(['item-a']);
  });

  it('times out a hanging endpoint, and retries it', async () => {
    const { fake, classifier } = await setup({ timeout: '300ms', retry: { max_attempts: 1 } });
    fake.enqueue({ kind: 'hang' });
    expect((await rejection(classifier.classify(items, taxonomy))).kind).toBe('timeout');

    const retrying = new OpenAiClassifier({
      base_url: fake.baseUrl,
      api_key: apiKey,
      timeout: '300ms',
      retry: { max_attempts: 2, initial_backoff: '1ms' },
    });
    fake.enqueue({ kind: 'hang' });
    const outcome = await retrying.classify(items, taxonomy);
    expect(outcome.labels.size).toBe(2);
  });

  it('stops at the caller’s AbortSignal', async () => {
    const { fake, classifier } = await setup({ timeout: '30s' });
    fake.enqueue({ kind: 'hang' });
    const error = await rejection(classifier.classify(items, taxonomy, AbortSignal.timeout(200)));
    expect(error.kind).toBe('aborted');
    expect(fake.modelRequests).toHaveLength(1);
  });

  it('sends Azure requests to the deployment URL with api-version and the api-key header', async () => {
    const { fake } = await setup();
    // Azure takes the resource endpoint, not an OpenAI-style /v1 base URL.
    const azure = new OpenAiClassifier({
      base_url: fake.url,
      api_key: apiKey,
      azure: { deployment: 'semtel-deployment', api_version: '2024-10-21' },
    });
    const outcome = await azure.classify(items, taxonomy);
    expect(outcome.labels.size).toBe(2);
    const request = fake.modelRequests[0];
    expect(request).toMatchObject({
      path: '/openai/deployments/semtel-deployment/chat/completions',
      deployment: 'semtel-deployment',
      apiVersion: '2024-10-21',
      authentication: 'api-key',
      status: 200,
    });
  });

  it('never puts the API key into error messages or events, even when the server echoes it', async () => {
    const wrongKey = 'sk-wrong-key-that-must-stay-secret-42';
    const { classifier, events } = await setup({
      api_key: wrongKey,
      headers: { 'x-gateway-token': 'gateway-secret-value' },
    });
    const error = await rejection(classifier.classify(items, taxonomy));
    expect(error.kind).toBe('authentication');
    expect(error.message).toContain('[REDACTED]');
    for (const text of [error.message, String(error.stack), JSON.stringify(error), JSON.stringify(events)]) {
      expect(text).not.toContain(wrongKey);
      expect(text).not.toContain('gateway-secret-value');
    }
  });

  it('emits no telemetry of its own: no OpenTelemetry API registered, no request but the model calls', async () => {
    const { fake, classifier } = await setup();
    await classifier.classify(items, taxonomy);
    const registered = Object.getOwnPropertySymbols(globalThis).filter((symbol) =>
      symbol.description?.startsWith('opentelemetry'),
    );
    expect(registered).toEqual([]);
    expect(fake.requests.map((request) => request.path)).toEqual(['/v1/chat/completions']);
  });
});
