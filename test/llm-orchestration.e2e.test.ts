// Orchestration at scale: the real `openai` client inside OpenAiClassifier against FakeOpenAiServer
// instances enforcing RPM/TPM, going down, running out of quota, and a spent budget.
import type { ClassificationItem, Taxonomy } from '@semtel/classifier';
import { LlmError, OpenAiClassifier } from '@semtel/llm-openai';
import type {
  LlmAlert,
  LlmObserver,
  LlmRequestEvent,
  OpenAiClassifierConfigInput,
  OpenAiClassifierOptions,
} from '@semtel/llm-openai';
import { FakeOpenAiServer } from '@semtel/testing';
import type { FakeOpenAiServerOptions } from '@semtel/testing';
import { afterEach, describe, expect, it } from 'vitest';

const taxonomy: Taxonomy = {
  version: 'orchestration-e2e',
  dimensions: [
    {
      name: 'domain',
      description: 'The subject area of the interaction.',
      multiLabel: false,
      enabled: true,
      labels: [
        { name: 'software_development', description: 'Programming, code, compilers.' },
        { name: 'health_and_wellness', description: 'Health, diet, fitness, sleep.' },
      ],
    },
  ],
};
const apiKey = 'sk-orchestration-e2e-0123456789';

function batch(index: number): ClassificationItem[] {
  return [
    { id: 'i1', transcript: `user: How do I fix TypeScript compile error number ${index} in my software project?` },
  ];
}

const servers: FakeOpenAiServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function fake(options: FakeOpenAiServerOptions = {}): Promise<FakeOpenAiServer> {
  const server = await FakeOpenAiServer.start({ apiKey, ...options });
  servers.push(server);
  return server;
}

interface Recorded {
  events: LlmRequestEvent[];
  alerts: LlmAlert[];
  logs: string[];
  observer: LlmObserver;
  options: OpenAiClassifierOptions;
}

function recorder(): Recorded {
  const events: LlmRequestEvent[] = [];
  const alerts: LlmAlert[] = [];
  const logs: string[] = [];
  const log = (object: object, message: string): void => void logs.push(`${message} ${JSON.stringify(object)}`);
  const observer: LlmObserver = {
    onRequest: (event) => events.push(event),
    onAlert: (alert) => alerts.push(alert),
  };
  return { events, alerts, logs, observer, options: { observer, logger: { info: log, warn: log, error: log } } };
}

function endpointOf(server: FakeOpenAiServer, name: string): NonNullable<OpenAiClassifierConfigInput['endpoints']>[0] {
  return { name, base_url: server.baseUrl, api_key: apiKey };
}

async function failure(promise: Promise<unknown>): Promise<LlmError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(LlmError);
  return error as LlmError;
}

/** Runs `count` classifications with at most `concurrency` at a time; returns the failures. */
async function runAll(classifier: OpenAiClassifier, count: number, concurrency: number): Promise<unknown[]> {
  const failures: unknown[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const index = next++;
        await classifier.classify(batch(index), taxonomy, AbortSignal.timeout(25_000)).catch((error: unknown) => {
          failures.push(error);
        });
      }
    }),
  );
  return failures;
}

describe('LLM orchestration against fake endpoints', () => {
  it('keeps the 429 share low against an endpoint enforcing TPM, learning its limits from the headers', async () => {
    const server = await fake({ faults: { rateLimits: { requestsPerMinute: 10_000, tokensPerMinute: 60_000 } } });
    // Another client has just used nearly all of the minute's tokens; this classifier does not know.
    const drain = await fetch(`${server.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hello' }],
        max_completion_tokens: 59_000,
      }),
    });
    expect(drain.status).toBe(200);
    server.clearRequests();

    const recorded = recorder();
    const classifier = new OpenAiClassifier(
      { base_url: server.baseUrl, api_key: apiKey, concurrency: { initial: 2 } },
      recorded.options,
    );
    const failures = await runAll(classifier, 24, 8);
    expect(failures).toEqual([]);
    const statuses = server.modelRequests.map((request) => request.status);
    const limited = statuses.filter((status) => status === 429).length;
    expect(statuses.filter((status) => status === 200)).toHaveLength(24);
    // Without the limiter every request beyond the first ~3 would be refused at least once.
    expect(limited / statuses.length).toBeLessThanOrEqual(0.2);
    expect(classifier.snapshot().endpoints[0]).toMatchObject({ tokensPerMinute: 60_000, circuit: 'closed' });
    expect(recorded.events.every((event) => event.chargedTokens > 0)).toBe(true);
  });

  it('without x-ratelimit-* headers, keeps prompt + max_tokens charged as the endpoint does: no 429', async () => {
    // The endpoint counts the whole output cap (2000) whatever the answer used; it says nothing back.
    const tokensPerMinute = 30_000;
    const server = await fake({ faults: { rateLimits: { tokensPerMinute, headers: false } } });
    const recorded = recorder();
    const classifier = new OpenAiClassifier(
      // max_queue_wait 0: once the limiter knows the minute is spent it refuses locally, sending nothing.
      { base_url: server.baseUrl, api_key: apiKey, tpm: tokensPerMinute, max_output_tokens: 2000, max_queue_wait: 0 },
      recorded.options,
    );
    const kinds: string[] = [];
    for (let index = 0; index < 20; index += 1) {
      kinds.push(
        await classifier.classify(batch(index), taxonomy).then(
          () => 'classified',
          (error: unknown) => (error as LlmError).kind,
        ),
      );
    }
    const statuses = server.modelRequests.map((request) => request.status);
    const charged = server.modelRequests.reduce((sum, request) => sum + (request.chargedTokens ?? 0), 0);
    expect(statuses.filter((status) => status === 429)).toEqual([]);
    // What was sent fits the minute the endpoint counts (plus what refilled meanwhile, under one request).
    expect(charged).toBeLessThanOrEqual(tokensPerMinute);
    expect(kinds.filter((kind) => kind === 'classified')).toHaveLength(statuses.length);
    expect(kinds.slice(statuses.length).every((kind) => kind === 'rate_limited')).toBe(true);
    expect(statuses.length).toBeGreaterThanOrEqual(10);
  });

  it('refuses locally, as request_too_large, a batch larger than every endpoint’s TPM limit', async () => {
    const server = await fake();
    const classifier = new OpenAiClassifier({ base_url: server.baseUrl, api_key: apiKey, tpm: 100 });
    const error = await failure(classifier.classify(batch(1), taxonomy));
    expect(error.kind).toBe('request_too_large');
    expect(server.modelRequests).toHaveLength(0);
  });

  it('moves traffic to the other endpoint when one goes down, and back when it recovers', async () => {
    const first = await fake();
    const second = await fake();
    const recorded = recorder();
    const classifier = new OpenAiClassifier(
      {
        endpoints: [endpointOf(first, 'first'), endpointOf(second, 'second')],
        circuit: { failure_threshold: 2, cooldown: '300ms' },
        retry: { initial_backoff: '10ms' },
      },
      recorded.options,
    );
    expect(await runAll(classifier, 10, 2)).toEqual([]);
    expect(first.modelRequests.length).toBeGreaterThan(0);
    expect(second.modelRequests.length).toBeGreaterThan(0);

    first.setFaults({ down: true });
    const firstBefore = first.modelRequests.length;
    expect(await runAll(classifier, 30, 3)).toEqual([]);
    const downRequests = first.modelRequests.slice(firstBefore);
    expect(downRequests.every((request) => request.outcome === 'down')).toBe(true);
    // Each concurrent request may hit it once before its circuit opens; after that only probes.
    expect(downRequests.length).toBeLessThanOrEqual(8);
    expect(recorded.events.filter((event) => event.endpoint === 'second' && event.outcome === 'success').length).toBe(
      recorded.events.filter((event) => event.outcome === 'success').length - firstBefore,
    );

    first.setFaults({});
    let recovered = false;
    for (let round = 0; round < 40 && !recovered; round += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      await classifier.classify(batch(round), taxonomy);
      recovered = first.modelRequests.some((request, index) => index >= firstBefore && request.outcome === 'ok');
    }
    expect(recovered).toBe(true);
    expect(classifier.snapshot().endpoints.map((endpoint) => endpoint.circuit)).toEqual(['closed', 'closed']);
  });

  it('fails fast with unavailable while every endpoint is down, sends nothing, and recovers by probing', async () => {
    const first = await fake({ faults: { down: true } });
    const second = await fake({ faults: { down: true } });
    const circuitStates: string[] = [];
    const classifier = new OpenAiClassifier(
      {
        endpoints: [endpointOf(first, 'first'), endpointOf(second, 'second')],
        circuit: { failure_threshold: 2, cooldown: '2s' },
        retry: { initial_backoff: '10ms', max_backoff: '20ms' },
      },
      { observer: { onCircuitState: (endpoint, state) => circuitStates.push(`${endpoint}:${state}`) } },
    );
    const kinds: string[] = [];
    for (let round = 0; round < 6; round += 1)
      kinds.push((await failure(classifier.classify(batch(round), taxonomy))).kind);
    expect(kinds.slice(0, 2)).toEqual(['network', 'network']);
    expect(kinds.slice(2)).toEqual(['unavailable', 'unavailable', 'unavailable', 'unavailable']);
    const sent = first.modelRequests.length + second.modelRequests.length;
    expect(sent).toBe(4);
    expect(classifier.snapshot().circuit).toBe('open');
    expect(circuitStates).toEqual(expect.arrayContaining(['first:open', 'second:open']));
    const fast = await failure(classifier.classify(batch(99), taxonomy));
    expect(fast.kind).toBe('unavailable');
    expect(fast.message).toContain('first: open');
    expect(first.modelRequests.length + second.modelRequests.length).toBe(sent);

    first.setFaults({});
    second.setFaults({});
    let outcome: Awaited<ReturnType<OpenAiClassifier['classify']>> | undefined;
    for (let round = 0; round < 40 && outcome === undefined; round += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      outcome = await classifier.classify(batch(round), taxonomy).catch(() => undefined);
    }
    expect(outcome?.labels.size).toBe(1);
    expect(classifier.snapshot().circuit).toBe('closed');
  });

  it('stops calling an endpoint out of quota, alerts once, and keeps serving from the other', async () => {
    const broke = await fake({ faults: { behaviour: { kind: 'insufficient_quota' } } });
    const healthy = await fake();
    const recorded = recorder();
    const classifier = new OpenAiClassifier(
      { endpoints: [endpointOf(broke, 'broke'), endpointOf(healthy, 'healthy')] },
      { ...recorded.options, random: () => 0 },
    );
    expect(await runAll(classifier, 10, 1)).toEqual([]);
    expect(broke.modelRequests).toHaveLength(1);
    expect(healthy.modelRequests).toHaveLength(10);
    expect(recorded.alerts).toEqual([expect.objectContaining({ kind: 'quota_exhausted', endpoint: 'broke' })]);
    expect(recorded.events.filter((event) => event.outcome === 'quota_exhausted')).toHaveLength(1);
    expect(recorded.logs.some((line) => line.includes('out of quota'))).toBe(true);
    expect(classifier.snapshot().endpoints[0]?.circuit).toBe('open');
  });

  it('surfaces quota_exhausted when the only endpoint is out of quota, then fails fast without calling it', async () => {
    const broke = await fake({ faults: { behaviour: { kind: 'insufficient_quota' } } });
    const recorded = recorder();
    const classifier = new OpenAiClassifier({ base_url: broke.baseUrl, api_key: apiKey }, recorded.options);
    expect((await failure(classifier.classify(batch(1), taxonomy))).kind).toBe('quota_exhausted');
    for (let round = 0; round < 3; round += 1)
      expect((await failure(classifier.classify(batch(round), taxonomy))).kind).toBe('quota_exhausted');
    expect(broke.modelRequests).toHaveLength(1);
    for (const text of [...recorded.logs, JSON.stringify(recorded.alerts), JSON.stringify(recorded.events)])
      expect(text).not.toContain(apiKey);
  });

  it('keeps the API key out of alerts, logs and events when the endpoint refuses it', async () => {
    const server = await fake();
    const wrongKey = 'sk-wrong-orchestration-key-987654321';
    const recorded = recorder();
    const classifier = new OpenAiClassifier({ base_url: server.baseUrl, api_key: wrongKey }, recorded.options);
    const error = await failure(classifier.classify(batch(1), taxonomy));
    expect(error.kind).toBe('authentication');
    expect(recorded.alerts).toHaveLength(1);
    for (const text of [
      error.message,
      ...recorded.logs,
      JSON.stringify(recorded.alerts),
      JSON.stringify(recorded.events),
      JSON.stringify(classifier.snapshot()),
    ])
      expect(text).not.toContain(wrongKey);
  });

  it('fails fast with over_budget once the hourly token budget is spent', async () => {
    const server = await fake();
    const budgets: number[] = [];
    const classifier = new OpenAiClassifier(
      { base_url: server.baseUrl, api_key: apiKey, budget: { hourly: { tokens: 1000 } } },
      { observer: { onBudget: (remaining) => budgets.push(remaining[0]?.tokens ?? -1) } },
    );
    const kinds: string[] = [];
    for (let round = 0; round < 8; round += 1) {
      kinds.push(
        await classifier.classify(batch(round), taxonomy).then(
          () => 'classified',
          (error: unknown) => (error as LlmError).kind,
        ),
      );
    }
    const firstRefusal = kinds.indexOf('over_budget');
    expect(firstRefusal).toBeGreaterThan(0);
    expect(kinds.slice(firstRefusal).every((kind) => kind === 'over_budget')).toBe(true);
    expect(server.modelRequests).toHaveLength(firstRefusal);
    const used = server.modelRequests.reduce(
      (sum, request) => sum + (request.usage?.promptTokens ?? 0) + (request.usage?.completionTokens ?? 0),
      0,
    );
    expect(used).toBeLessThanOrEqual(1000);
    expect(budgets.at(-1)).toBe(1000 - used);
  });
});
