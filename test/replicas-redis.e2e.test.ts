// Two semtel replicas sharing one Redis (processors.semantic.shared_state) in front of ONE fake LLM
// endpoint that enforces a tokens-per-minute limit: together they keep to that one limit, and an
// interaction one replica classified is `cached` on the other without a new LLM request. A control
// run without Redis shows what the shared limit prevents. Needs `redis-server` (CI installs it and sets
// SEMTEL_REQUIRE_REDIS=1 so that its absence fails); elsewhere, without it, the file is skipped and says why.
import { randomUUID } from 'node:crypto';
import type { Span } from '@semtel/pdata';
import type { RunningService } from '@semtel/service';
import { startService } from '@semtel/service';
import type { RedisServerProcess } from '@semtel/shared-state-redis';
import { redisTestSkipReason, startRedisServer } from '@semtel/shared-state-redis';
import type { FakeOpenAiRequest } from '@semtel/testing';
import { FakeOpenAiServer, OtlpSink } from '@semtel/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildChatTraces, sendTraces } from './support/chat-spans.js';
import { classifierApiKey, classifierModel, RecordingLogger } from './support/classification-stack.js';
import { semtelStatus, spanKey } from './support/semantic-assertions.js';

/** The endpoint's one limit. A request of 5 items is about 3 000 tokens, so about ten fit a minute. */
const tokensPerMinute = 30_000;
/** 429s tolerated with the shared limit: token estimates can differ by a few tokens from the fake's count. */
const tolerated429s = 2;

interface Replica {
  name: string;
  service: RunningService;
  logger: RecordingLogger;
  httpEndpoint: string;
}

let redis: RedisServerProcess;
const cleanups: (() => Promise<void>)[] = [];
const skipReason = redisTestSkipReason();
if (skipReason !== undefined) console.warn(`two replicas sharing one Redis: ${skipReason}`);

beforeAll(async () => {
  if (skipReason === undefined) redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startReplica(
  name: string,
  llm: FakeOpenAiServer,
  sink: OtlpSink,
  sharedState: Record<string, unknown> | undefined,
): Promise<Replica> {
  const logger = new RecordingLogger();
  const config = {
    receivers: { otlp: { protocols: { http: { endpoint: '127.0.0.1:0' } } } },
    processors: {
      semantic: {
        llm: {
          base_url: llm.baseUrl,
          api_key: '${env:SEMTEL_E2E_CLASSIFIER_KEY}',
          model: classifierModel,
          tpm: tokensPerMinute,
          timeout: '5s',
          response_format: 'json_schema',
          max_queue_wait: '4s',
          // Tells the fake which replica sent a request; not a secret.
          headers: { 'x-semtel-replica': name },
          retry: { max_attempts: 3, initial_backoff: '50ms', max_backoff: '500ms', max_retry_delay: '5s' },
        },
        ...(sharedState ? { shared_state: sharedState } : {}),
        batch: { max_tokens: 8000, max_items: 5, max_wait: '100ms' },
        max_hold: '6s',
        max_concurrency: 8,
        sampling: { adaptive: { enabled: false } },
      },
    },
    exporters: {
      otlp_http: {
        endpoint: sink.httpEndpoint,
        compression: 'none',
        retry_on_failure: { initial_interval: '100ms', max_interval: '500ms', max_elapsed_time: '20s' },
      },
    },
    service: {
      pipelines: { traces: { receivers: ['otlp'], processors: ['semantic'], exporters: ['otlp_http'] } },
      telemetry: { metrics: { level: 'none' }, logs: { level: 'info' } },
      shutdown_timeout: '5s',
    },
  };
  const service = await startService({
    config: JSON.stringify(config, null, 2),
    env: { SEMTEL_E2E_CLASSIFIER_KEY: classifierApiKey },
    logger,
  });
  cleanups.push(() => service.shutdown());
  const http = service.addresses.receivers.otlp?.http;
  if (http === undefined) throw new Error(`replica ${name} reported no OTLP/HTTP address`);
  return { name, service, logger, httpEndpoint: `http://${http}` };
}

async function startFixture(sharedState: Record<string, unknown> | undefined) {
  const sink = await OtlpSink.start();
  cleanups.push(() => sink.close());
  const llm = await FakeOpenAiServer.start({
    apiKey: classifierApiKey,
    faults: { rateLimits: { tokensPerMinute }, latencyMs: 150 },
  });
  cleanups.push(() => llm.close());
  const replicas = [await startReplica('a', llm, sink, sharedState), await startReplica('b', llm, sink, sharedState)];
  return { sink, llm, replicas };
}

/**
 * Offers both replicas far more than the limit for `durationMs` (a burst of 50 new interactions
 * each, then two each every 150 ms), then waits until every span sent came out of semtel. Returns
 * the GenAI spans delivered.
 */
async function offerLoad(sink: OtlpSink, replicas: Replica[], durationMs: number): Promise<Span[]> {
  const salt = randomUUID();
  const sent: Span[] = [];
  let spans = sink.spanCount;
  const until = Date.now() + durationMs;
  for (let round = 0; round < 1000 && Date.now() < until; round += 1) {
    await Promise.all(
      replicas.map(async (replica) => {
        const batch = buildChatTraces(round === 0 ? 50 : 2, { salt: `${salt} ${replica.name} ${round}` });
        sent.push(...batch.genAi);
        spans += batch.genAi.length + batch.plain.length;
        await sendTraces(replica.httpEndpoint, batch.traces);
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  // Held spans leave by max_hold (6 s) at the latest; the export retries are quick.
  await sink.waitForSpans(spans, 20_000);
  const delivered = new Map(sink.spans().map(({ span }) => [spanKey(span), span]));
  return sent.map((span) => {
    const out = delivered.get(spanKey(span));
    expect(out, `GenAI span ${span.spanId} was not delivered`).toBeDefined();
    return out as Span;
  });
}

function answered(requests: FakeOpenAiRequest[], status: number): FakeOpenAiRequest[] {
  return requests.filter((request) => request.status === status);
}

describe.skipIf(skipReason !== undefined)(
  `two replicas sharing one Redis${skipReason ? ` (${skipReason})` : ''}`,
  () => {
    it(
      'serve a duplicate from the shared cache and keep together to one endpoint TPM limit',
      { timeout: 60_000 },
      async () => {
        const keyPrefix = `e2e-${randomUUID()}:`;
        const { sink, llm, replicas } = await startFixture({ endpoint: redis.url, key_prefix: keyPrefix });
        const [first, second] = replicas as [Replica, Replica];

        // A duplicate interaction: classified by replica A, then served to replica B from Redis.
        const original = buildChatTraces(1, { salt: `dedupe ${keyPrefix}` });
        await sendTraces(first.httpEndpoint, original.traces);
        await sink.waitForSpans(2, 10_000);
        const classified = sink.spans().find(({ span }) => span.spanId === original.genAi[0]?.spanId)?.span;
        expect(classified && semtelStatus(classified), first.logger.problems()).toBe('classified');
        const requestsBefore = llm.modelRequests.length;
        expect(requestsBefore).toBe(1);

        const duplicate = buildChatTraces(1, { salt: `dedupe ${keyPrefix}` });
        await sendTraces(second.httpEndpoint, duplicate.traces);
        await sink.waitForSpans(4, 10_000);
        const served = sink.spans().find(({ span }) => span.spanId === duplicate.genAi[0]?.spanId)?.span as Span;
        expect(semtelStatus(served), second.logger.problems()).toBe('cached');
        expect(served.attributes.find((attribute) => attribute.key === 'semtel.classifier.model')?.value).toBe(
          classified?.attributes.find((attribute) => attribute.key === 'semtel.classifier.model')?.value,
        );
        expect(llm.modelRequests.length).toBe(requestsBefore);

        // Load on both replicas, far above the one limit.
        const delivered = await offerLoad(sink, replicas, 12_000);
        const requests = llm.modelRequests;
        const accepted = answered(requests, 200);
        const refused = answered(requests, 429);
        const acceptedTokens = accepted.reduce((sum, request) => sum + (request.chargedTokens ?? 0), 0);
        const times = accepted.map((request) => request.receivedAt ?? 0);
        const windowMs = Math.max(...times) - Math.min(...times);
        const summary = `accepted ${accepted.length} requests (${acceptedTokens} tokens over ${windowMs} ms), refused ${refused.length} with 429; statuses ${JSON.stringify(countBy(delivered.map((span) => semtelStatus(span) ?? 'none')))}`;

        expect(refused.length, summary).toBeLessThanOrEqual(tolerated429s);
        // Within the one limit: a full bucket plus its refill over the window, with 5 % slack.
        expect(acceptedTokens, summary).toBeLessThanOrEqual(
          (tokensPerMinute + (tokensPerMinute * windowMs) / 60_000) * 1.05,
        );
        // The load did reach the limit (the test exercised it), and both replicas took part.
        expect(acceptedTokens, summary).toBeGreaterThanOrEqual(tokensPerMinute * 0.8);
        for (const replica of replicas) {
          expect(
            accepted.some((request) => request.headers['x-semtel-replica'] === replica.name),
            `replica ${replica.name} sent nothing: ${summary}`,
          ).toBe(true);
        }
        // Every span came out with a status; saturation shows as unavailable, never as a lost span.
        for (const span of delivered) expect(semtelStatus(span)).toBeDefined();
        expect(delivered.some((span) => semtelStatus(span) === 'classified')).toBe(true);
      },
    );

    it(
      'control: without the shared limit the same two replicas draw 429s from the one endpoint',
      { timeout: 60_000 },
      async () => {
        const { sink, llm, replicas } = await startFixture(undefined);
        await offerLoad(sink, replicas, 6_000);
        const refused = answered(llm.modelRequests, 429);
        expect(refused.length, `429s without shared state: ${refused.length}`).toBeGreaterThan(tolerated429s);
      },
    );
  },
);

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
