// Orchestration at scale through the whole service: spans arrive over OTLP, the semantic processor
// classifies them through FakeOpenAiServer endpoints that enforce rate limits, go down, run out of
// quota or are slow, and an OtlpSink receives what semtel exports. Whatever the endpoints do, every
// span is delivered exactly once, with a status that says why, and `/metrics` tells the story.
import { defaultTaxonomy } from '@semtel/classifier';
import { encodeLogs } from '@semtel/otlp';
import type { LogRecord, Span } from '@semtel/pdata';
import { createScope, getAttribute, getStringAttribute } from '@semtel/pdata';
import type { FakeOpenAiRequest } from '@semtel/testing';
import { buildGenAiEventLogRecord, buildLogRecord, buildLogs, FakeOpenAiServer } from '@semtel/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatTraces, Conversation } from './support/chat-spans.js';
import { buildChatSpan, buildChatTraces, checkChatDelivery, sendTraces, tracesOf } from './support/chat-spans.js';
import type { ClassificationStack, ClassificationStackOptions } from './support/classification-stack.js';
import { classifierApiKey, classifierModel, startClassificationStack } from './support/classification-stack.js';
import type { PrometheusSample } from './support/prometheus-text.js';
import { histogramQuantile, metricValue, samplesOf, scrapeMetrics } from './support/prometheus-text.js';
import { indexSpans, labelProblems, offTaxonomyLabels, semtelStatus, spanKey } from './support/semantic-assertions.js';
import { buildSmallSpan, randomTraceId } from '@semtel/testing';

const taxonomy = defaultTaxonomy();
const validStatuses = new Set([
  'classified',
  'cached',
  'skipped_no_content',
  'sampled_out',
  'timeout',
  'error',
  'unavailable',
  'over_budget',
]);
const contentAttributes = ['gen_ai.input.messages', 'gen_ai.output.messages', 'gen_ai.system_instructions'];

const stacks: ClassificationStack[] = [];
const extraServers: FakeOpenAiServer[] = [];
afterEach(async () => {
  await Promise.all(stacks.splice(0).map((stack) => stack.close()));
  await Promise.all(extraServers.splice(0).map((server) => server.close()));
});

async function start(options: ClassificationStackOptions): Promise<ClassificationStack> {
  const stack = await startClassificationStack({ serveMetrics: true, ...options });
  stacks.push(stack);
  return stack;
}

async function extraEndpoint(): Promise<FakeOpenAiServer> {
  const server = await FakeOpenAiServer.start({ apiKey: classifierApiKey });
  extraServers.push(server);
  return server;
}

/** `llm` keys for several endpoints: the stack's single-endpoint keys are left out (JSON drops undefined). */
function endpointsLlm(endpoints: Array<{ name: string; server: FakeOpenAiServer }>): Record<string, unknown> {
  return {
    base_url: undefined,
    api_key: undefined,
    endpoints: endpoints.map(({ name, server }) => ({
      name,
      base_url: server.baseUrl,
      api_key: '${env:SEMTEL_E2E_CLASSIFIER_KEY}',
    })),
  };
}

async function metrics(stack: ClassificationStack): Promise<PrometheusSample[]> {
  if (stack.metricsUrl === undefined) throw new Error('the stack serves no /metrics');
  return scrapeMetrics(stack.metricsUrl);
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

/** Polls `/metrics` until `check` holds (bounded); returns the last scrape. */
async function waitForMetrics(
  stack: ClassificationStack,
  check: (samples: PrometheusSample[]) => boolean,
  timeoutMs: number,
  describeWait: string,
): Promise<PrometheusSample[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const samples = await metrics(stack);
    if (check(samples)) return samples;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${describeWait}`);
    await sleep(100);
  }
}

/** Sends `waves` OTLP requests of `perWave` chat traces, `intervalMs` apart, and returns what was sent. */
async function sendWaves(
  stack: ClassificationStack,
  waves: number,
  perWave: number,
  intervalMs: number,
  salt: string,
): Promise<ChatTraces[]> {
  const sent: ChatTraces[] = [];
  for (let wave = 0; wave < waves; wave += 1) {
    const traces = buildChatTraces(perWave, { salt: `${salt} wave ${wave}` });
    sent.push(traces);
    await sendTraces(stack.httpEndpoint, traces.traces);
    if (wave < waves - 1) await sleep(intervalMs);
  }
  return sent;
}

function expectValidStatuses(spans: Span[]): void {
  for (const span of spans) {
    expect(validStatuses.has(semtelStatus(span) ?? 'none'), `status ${semtelStatus(span)}`).toBe(true);
    expect(offTaxonomyLabels(span, taxonomy)).toEqual([]);
  }
}

function countBy(values: Array<string | undefined>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value ?? 'none'] = (counts[value ?? 'none'] ?? 0) + 1;
  return counts;
}

function statusCounts(spans: Span[]): Record<string, number> {
  return countBy(spans.map(semtelStatus));
}

function requestText(request: FakeOpenAiRequest): string {
  return JSON.stringify(request.body);
}

describe('orchestration through the service', () => {
  it('RPM/TPM enforced with OpenAI headers: every span delivered, the 429 share stays low', async () => {
    const tokensPerMinute = 600_000;
    const stack = await start({
      semantic: { batch: { max_tokens: 8000, max_items: 4, max_wait: '100ms' }, max_concurrency: 2, max_hold: '20s' },
      llm: { max_output_tokens: 300, max_queue_wait: '15s' },
      classifierOptions: {
        faults: { rateLimits: { requestsPerMinute: 1000, tokensPerMinute }, latencyMs: 50, latencyPerPromptTokenMs: 0.05 },
      },
    });
    // Another client has just used nearly all of this minute's tokens: semtel, which knows no limit
    // (none configured), must learn it from the headers and pace itself at the refill rate.
    const drain = await fetch(`${stack.classifierLlm.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${classifierApiKey}` },
      body: JSON.stringify({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hello' }],
        max_completion_tokens: tokensPerMinute - 4000,
      }),
      signal: AbortSignal.timeout(5000),
    });
    await drain.arrayBuffer();
    expect(drain.status).toBe(200);
    stack.classifierLlm.clearRequests();

    const sent = await sendWaves(stack, 8, 12, 300, 'rate limits');
    const spans = await checkChatDelivery(stack.sink, sent, 40_000);
    expectValidStatuses(spans);
    const requests = stack.classifierLlm.modelRequests;
    const limited = requests.filter((request) => request.status === 429).length;
    const statuses = statusCounts(spans);
    console.log(
      `[rate limits] ${spans.length} GenAI spans: ${JSON.stringify(statuses)}; LLM requests ${requests.length}, ` +
        `answered 429: ${limited} = ${((100 * limited) / requests.length).toFixed(1)}%`,
    );
    expect(limited / requests.length).toBeLessThanOrEqual(0.1);
    // The limiter paces instead of giving up: every span labelled by the LLM.
    for (const span of spans) expect(labelProblems(span, taxonomy, { model: classifierModel })).toEqual([]);
    const samples = await metrics(stack);
    expect(metricValue(samples, 'semtel_llm_rate_limited_total')).toBe(limited === 0 ? undefined : limited);
    expect(metricValue(samples, 'semtel_llm_requests_total', { outcome: 'success' })).toBe(
      requests.filter((request) => request.status === 200).length,
    );
  });

//REST
