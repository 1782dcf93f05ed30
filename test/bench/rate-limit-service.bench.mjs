#!/usr/bin/env node
// Rate-limit benchmark through the whole service: `semtel start` runs as a child process (otlp receiver →
// semantic processor → otlp_http exporter → OtlpSink) and classifies through FakeOpenAiServer endpoints
// that enforce RPM and TPM with OpenAI-style `x-ratelimit-*` headers and whose latency grows with the
// request's tokens. GenAI spans (realistic multi-turn chats, each its own trace) are offered open-loop
// over OTLP/HTTP at 3× what the LLM limit can classify. Needs a build (`npx tsc -b`).
//
//   node test/bench/rate-limit-service.bench.mjs [--duration 60] [--tpm 400000] [--rpm 1000] [--load 3]
//        [--max-concurrency N] [--max-hold 30s] [--max-backlog 0] [--headers on|off] [--only single|failover]
//        [--port-base P]
//
// Every semtel setting not named here is its default (batch 12000 tokens / 30 items, max_queue_wait 15s,
// the output cap sized to each batch); `--max-concurrency` unset leaves the processor's default.
// `--headers off`: the fake enforces the same limits but sends no `x-ratelimit-*` headers.
//
// Capacity (spans/min) = min(TPM ÷ tokens charged per span, RPM × spans per request); tokens per span and
// spans per request are measured first by a short calibration through the same service against an
// endpoint without limits. Run 1: one endpoint. Run 2: two endpoints with different limits; the
// second goes down halfway. Benchmarks measure; they never assert.
import { cpus, platform, release } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { encodeTraces } from '@semtel/otlp';
import { createScope, createSpan, getStringAttribute, SpanKind } from '@semtel/pdata';
import { buildResource, FakeOpenAiServer, OtlpSink, randomSpanId, randomTraceId } from '@semtel/testing';
import { generateInteractions } from './classification-interactions.mjs';
import { freePorts, startSemtelChild } from './semtel-child.mjs';

// `pnpm bench:… -- --flag` passes the `--` on; it is not an argument.
const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((argument) => argument !== '--'),
  options: {
    duration: { type: 'string', default: '60' },
    tpm: { type: 'string', default: '400000' },
    rpm: { type: 'string', default: '1000' },
    load: { type: 'string', default: '3' },
    'max-concurrency': { type: 'string' },
    headers: { type: 'string', default: 'on' },
    'port-base': { type: 'string' },
    'max-hold': { type: 'string', default: '30s' },
    'max-backlog': { type: 'string', default: '0' },
    only: { type: 'string' },
  },
});
const durationMs = Number(args.duration) * 1000;
const tokensPerMinute = Number(args.tpm);
const requestsPerMinute = Number(args.rpm);
const loadFactor = Number(args.load);
const maxConcurrency = args['max-concurrency'] === undefined ? undefined : Number(args['max-concurrency']);
const sendHeaders = args.headers !== 'off';
const maxHold = args['max-hold'];
const maxBacklog = Number(args['max-backlog']);
const apiKey = 'sk-bench-rate-limit-service-000000';
// Generation-like latency: a fixed part, prefill per prompt token, decoding per output token.
const latency = { latencyMs: 150, latencyPerPromptTokenMs: 0.05, latencyPerOutputTokenMs: 4 };
const genAiScope = createScope('@opentelemetry/instrumentation-openai', '0.21.0');
const resource = buildResource('assistant-api');

// ---------------------------------------------------------------- GenAI spans
const interactionPool = generateInteractions(20_000);
let nextInteraction = 0;
function nextChatSpan() {
  const interaction = interactionPool[nextInteraction % interactionPool.length];
  // Past the pool, a counter keeps the content (and so the dedupe key) unique.
  const lap = Math.floor(nextInteraction / interactionPool.length);
  nextInteraction += 1;
  const start = BigInt(Date.now()) * 1_000_000n;
  const parts = (message) => ({ role: message.role, parts: [{ type: 'text', content: message.text }] });
  const messages = interaction.messages.map(parts);
  if (lap > 0) messages.push(parts({ role: 'user', text: `(lap ${lap})` }));
  return createSpan({
    traceId: randomTraceId(),
    spanId: randomSpanId(),
    name: 'chat gpt-4o-mini',
    kind: SpanKind.CLIENT,
    startTimeUnixNano: start,
    endTimeUnixNano: start + 900_000_000n,
    attributes: [
      { key: 'gen_ai.operation.name', value: 'chat' },
      { key: 'gen_ai.provider.name', value: 'openai' },
      { key: 'gen_ai.request.model', value: 'gpt-4o-mini' },
      { key: 'gen_ai.system_instructions', value: JSON.stringify([{ type: 'text', content: interaction.system }]) },
      { key: 'gen_ai.input.messages', value: JSON.stringify(messages) },
      {
        key: 'gen_ai.output.messages',
        value: JSON.stringify([{ ...parts(interaction.output), finish_reason: 'stop' }]),
      },
    ],
  });
}

// ---------------------------------------------------------------- semtel child process
// With --port-base, semtel's receiver and metrics ports are taken from there upwards (shared machines).
let nextPort = args['port-base'] === undefined ? undefined : Number(args['port-base']);

async function ports(count) {
  if (nextPort === undefined) return freePorts(count);
  const taken = Array.from({ length: count }, (_, index) => nextPort + index);
  nextPort += count;
  return taken;
}

async function startSemtel(llm, sinkEndpoint) {
  const [httpPort, metricsPort] = await ports(2);
  // JSON is YAML too: the same parser, ${env:…} substitution and validation as a user's file.
  const config = {
    receivers: { otlp: { protocols: { http: { endpoint: `127.0.0.1:${httpPort}` } } } },
    processors: {
      semantic: {
        llm,
        ...(maxConcurrency === undefined ? {} : { max_concurrency: maxConcurrency }),
        max_hold: maxHold,
        sampling: { adaptive: { max_backlog: maxBacklog } },
      },
    },
    exporters: { otlp_http: { endpoint: sinkEndpoint, compression: 'none' } },
    service: {
      pipelines: { traces: { receivers: ['otlp'], processors: ['semantic'], exporters: ['otlp_http'] } },
      telemetry: { metrics: { address: `127.0.0.1:${metricsPort}` }, logs: { level: 'error' } },
    },
  };
  const semtel = await startSemtelChild({
    config: JSON.stringify(config, null, 2),
    readyPorts: [httpPort],
    env: { BENCH_LLM_KEY: apiKey },
    // Held spans are released on shutdown, which may take a few seconds under load.
    stopTimeoutMs: 15_000,
  });
  return {
    ...semtel,
    tracesUrl: `http://127.0.0.1:${httpPort}/v1/traces`,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
  };
}

// ---------------------------------------------------------------- metrics
function parseMetrics(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match || line.startsWith('#')) continue;
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

async function scrape(url) {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return parseMetrics(await response.text());
}

function metric(samples, name, labels = {}) {
  const matching = samples.filter(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  return matching.length === 0 ? undefined : matching.reduce((sum, sample) => sum + sample.value, 0);
}

/** histogram_quantile over the cumulative buckets (linear inside a bucket). */
function histogramQuantile(samples, name, quantile) {
  const buckets = samples
    .filter((sample) => sample.name === `${name}_bucket`)
    .map((sample) => [sample.labels.le === '+Inf' ? Infinity : Number(sample.labels.le), sample.value])
    .sort((left, right) => left[0] - right[0]);
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total === 0) return NaN;
  const rank = quantile * total;
  let previousBound = 0;
  let previousCount = 0;
  for (const [bound, count] of buckets) {
    if (count >= rank) {
      if (bound === Infinity) return previousBound;
      return previousBound + ((bound - previousBound) * (rank - previousCount)) / Math.max(1, count - previousCount);
    }
    previousBound = bound;
    previousCount = count;
  }
  return previousBound;
}

function percentile(sorted, fraction) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}

// ---------------------------------------------------------------- load
/** Tracks every span sent: acknowledged by semtel (HTTP 200) and delivered to the sink, with status and hold. */
function createTracker() {
  const tracker = {
    sentAt: new Map(),
    acknowledged: 0,
    refused: 0,
    delivered: 0,
    duplicates: 0,
    unknown: 0,
    statuses: {},
    holdMs: [],
    seen: new Set(),
    onAccepted(_request, data) {
      const now = Date.now();
      for (const resourceSpans of data.resourceSpans)
        for (const scopeSpans of resourceSpans.scopeSpans)
          for (const span of scopeSpans.spans) {
            if (tracker.seen.has(span.spanId)) {
              tracker.duplicates += 1;
              continue;
            }
            tracker.seen.add(span.spanId);
            const sentAt = tracker.sentAt.get(span.spanId);
            if (sentAt === undefined) {
              tracker.unknown += 1;
              continue;
            }
            tracker.delivered += 1;
            tracker.holdMs.push(now - sentAt);
            const status = getStringAttribute(span.attributes, 'semtel.status') ?? 'none';
            tracker.statuses[status] = (tracker.statuses[status] ?? 0) + 1;
          }
    },
  };
  return tracker;
}

async function sendSpans(semtel, tracker, count) {
  const spans = Array.from({ length: count }, nextChatSpan);
  const sentAt = Date.now();
  for (const span of spans) tracker.sentAt.set(span.spanId, sentAt);
  const body = encodeTraces(
    { resourceSpans: [{ resource, schemaUrl: '', scopeSpans: [{ scope: genAiScope, spans, schemaUrl: '' }] }] },
    'protobuf',
  );
  try {
    const response = await fetch(semtel.tracesUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body,
      signal: AbortSignal.timeout(15_000),
    });
    await response.arrayBuffer();
    if (response.status === 200) tracker.acknowledged += count;
    else tracker.refused += count;
  } catch {
    tracker.refused += count;
  }
}

/**
 * Offers spans open-loop at `spansPerSecond` for the duration, one OTLP request every 250 ms, while
 * sampling `semtel_sampling_ratio` every second; `during(elapsedMs)` runs each tick (to fail an endpoint).
 */
async function offer(semtel, tracker, spansPerSecond, during = () => {}) {
  const started = Date.now();
  const sends = new Set();
  const ratios = [];
  let offered = 0;
  let lastScrape = 0;
  while (Date.now() - started < durationMs) {
    const elapsed = Date.now() - started;
    during(elapsed);
    const due = Math.floor((elapsed / 1000) * spansPerSecond);
    if (due > offered) {
      const send = sendSpans(semtel, tracker, due - offered).finally(() => sends.delete(send));
      sends.add(send);
      offered = due;
    }
    if (elapsed - lastScrape >= 1000) {
      lastScrape = elapsed;
      scrape(semtel.metricsUrl)
        .then((samples) => ratios.push(metric(samples, 'semtel_sampling_ratio') ?? NaN))
        .catch(() => {});
    }
    await sleep(250);
  }
  await Promise.all(sends);
  return { offered, ratios, offerEnd: Date.now() };
}

/** Waits (bounded) until every acknowledged span reached the sink. */
async function drain(tracker, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (tracker.delivered < tracker.acknowledged && Date.now() < deadline) await sleep(200);
}

// ---------------------------------------------------------------- LLM-side figures
function admittedOf(server, from, to) {
  return server.modelRequests.filter(
    (request) => request.receivedAt >= from && request.receivedAt <= to && request.chargedTokens !== undefined,
  );
}

/**
 * Tokens per minute admitted once the initial full bucket (a whole minute's burst) is spent: from the
 * moment the fake's bucket (replayed from the admitted requests, full at `bucketFullAt`) first holds
 * less than two batches to the end of the offering. `tokensPerMinute` is admitted ÷ minutes; over a
 * short window it is off by what the bucket held at its start and end (up to two batches), so
 * `utilisation` takes that out: admitted ÷ (limit × minutes + level at the start − level at the end),
 * the share of the capacity the window offered that was used (1 = no refill wasted on a full bucket).
 */
function steadyState(admitted, limit, bucketFullAt, offerEnd, charge) {
  let level = limit;
  let last = bucketFullAt;
  let steadyFrom;
  let levelAtStart = 0;
  const ordered = [...admitted].sort((left, right) => left.receivedAt - right.receivedAt);
  for (const request of ordered) {
    level = Math.min(limit, level + ((request.receivedAt - last) * limit) / 60_000) - request.chargedTokens;
    last = request.receivedAt;
    if (steadyFrom === undefined && level < 2 * charge) {
      steadyFrom = request.receivedAt;
      levelAtStart = level;
    }
  }
  const levelAtEnd = Math.min(limit, level + ((offerEnd - last) * limit) / 60_000);
  // Over the whole offering the bucket starts full: the same correction, for runs that never drain it.
  const total = ordered
    .filter((request) => request.receivedAt <= offerEnd)
    .reduce((sum, request) => sum + request.chargedTokens, 0);
  const wholeUtilisation = total / ((limit * (offerEnd - bucketFullAt)) / 60_000 + limit - levelAtEnd);
  if (steadyFrom === undefined || offerEnd - steadyFrom < 10_000) return { wholeUtilisation };
  const tokens = ordered
    .filter((request) => request.receivedAt > steadyFrom && request.receivedAt <= offerEnd)
    .reduce((sum, request) => sum + request.chargedTokens, 0);
  const minutes = (offerEnd - steadyFrom) / 60_000;
  const offered = limit * minutes + levelAtStart - levelAtEnd;
  return {
    from: steadyFrom,
    tokensPerMinute: tokens / minutes,
    utilisation: tokens / offered,
    levelAtStart,
    levelAtEnd,
    wholeUtilisation,
  };
}

function itemsOf(request) {
  return request.body?.response_format?.json_schema?.schema?.required?.length ?? 0;
}

/** The endpoint's limits are configured, as a user who knows their tier would; the headers correct them. */
function llmConfig(server, limits) {
  return {
    base_url: server.baseUrl,
    api_key: '${env:BENCH_LLM_KEY}',
    model: 'gpt-4o-mini',
    ...(limits ? { tpm: limits.tokensPerMinute, rpm: limits.requestsPerMinute } : {}),
  };
}

// ---------------------------------------------------------------- calibration
/** Tokens charged per span and spans per request at full batches, through the same service, no limits. */
async function calibrate() {
  const fake = await FakeOpenAiServer.start({
    apiKey,
    faults: { rateLimits: { requestsPerMinute: 1_000_000, tokensPerMinute: 1_000_000_000 } },
  });
  const tracker = createTracker();
  const sink = await OtlpSink.start({ retainData: false, onAccepted: tracker.onAccepted });
  const semtel = await startSemtel(llmConfig(fake), sink.httpEndpoint);
  try {
    for (let round = 0; round < 4; round += 1) await sendSpans(semtel, tracker, 150);
    await drain(tracker, 60_000);
  } finally {
    await semtel.stop();
    await Promise.all([sink.close(), fake.close()]);
  }
  const ok = fake.modelRequests.filter((request) => request.status === 200);
  // Full batches only (the last of a burst may be partial).
  const largest = Math.max(...ok.map(itemsOf));
  const full = ok.filter((request) => itemsOf(request) === largest);
  const tokensPerRequest = full.reduce((sum, request) => sum + request.chargedTokens, 0) / full.length;
  return { spansPerRequest: largest, tokensPerRequest, tokensPerSpan: tokensPerRequest / largest };
}

function capacitySpansPerMinute(calibration, tpm, rpm) {
  return Math.min(tpm / calibration.tokensPerSpan, rpm * calibration.spansPerRequest);
}

function printService(tracker, samples, ratios, semtel) {
  const lost = tracker.acknowledged - tracker.delivered;
  console.log(
    `  spans offered ${tracker.sentAt.size}, acknowledged by semtel ${tracker.acknowledged} (refused ${tracker.refused}), delivered to the sink ${tracker.delivered}: lost ${lost}, duplicated ${tracker.duplicates}`,
  );
  console.log(`  semtel.status of delivered spans: ${JSON.stringify(tracker.statuses)}`);
  const hold = [...tracker.holdMs].sort((left, right) => left - right);
  console.log(
    `  hold time (send → arrival at the sink, every span): p50 ${percentile(hold, 0.5)} ms, p99 ${percentile(hold, 0.99)} ms, max ${hold.at(-1)} ms`,
  );
  // The histogram's buckets are coarse (… 20, 30, 60 s): a span released at max_hold + a few ms lands in
  // the 30–60 s bucket, and interpolation then reports up to 60 s; the arrival-based figure is exact.
  const heldCount = metric(samples, 'semtel_hold_duration_seconds_count') ?? 0;
  const within30 = metric(samples, 'semtel_hold_duration_seconds_bucket', { le: '30' }) ?? 0;
  console.log(
    `  hold time (semtel_hold_duration_seconds, bucket-interpolated, coarse): p50 ${histogramQuantile(samples, 'semtel_hold_duration_seconds', 0.5).toFixed(2)} s, p99 ${histogramQuantile(samples, 'semtel_hold_duration_seconds', 0.99).toFixed(2)} s; ${heldCount - within30} of ${heldCount} held spans above the 30 s bucket`,
  );
  const finite = ratios.filter((ratio) => Number.isFinite(ratio));
  console.log(
    `  sampling ratio (semtel_sampling_ratio): final ${metric(samples, 'semtel_sampling_ratio')}, lowest while offered ${finite.length ? Math.min(...finite).toFixed(3) : 'n/a'}, at the end of the offering ${finite.at(-1)?.toFixed(3) ?? 'n/a'}`,
  );
  console.log(
    `  peak RSS of the semtel child process (VmHWM): ${((semtel.peakRss() ?? NaN) / 1024 / 1024).toFixed(0)} MiB`,
  );
}

// ---------------------------------------------------------------- runs
async function singleEndpoint(calibration) {
  const capacity = capacitySpansPerMinute(calibration, tokensPerMinute, requestsPerMinute);
  const spansPerSecond = (capacity * loadFactor) / 60;
  const bucketFullAt = Date.now();
  const fake = await FakeOpenAiServer.start({
    apiKey,
    faults: { rateLimits: { requestsPerMinute, tokensPerMinute, headers: sendHeaders }, ...latency },
  });
  const tracker = createTracker();
  const sink = await OtlpSink.start({ retainData: false, onAccepted: tracker.onAccepted });
  const semtel = await startSemtel(llmConfig(fake, { tokensPerMinute, requestsPerMinute }), sink.httpEndpoint);
  console.log(
    `Run 1: one endpoint, TPM ${tokensPerMinute}, RPM ${requestsPerMinute} (configured, and enforced by the fake); capacity ≈ ${capacity.toFixed(0)} spans/min; offered ${loadFactor}× = ${(spansPerSecond * 60).toFixed(0)} spans/min for ${durationMs / 1000} s`,
  );
  const runStart = Date.now();
  const { ratios, offerEnd } = await offer(semtel, tracker, spansPerSecond);
  await drain(tracker, 120_000);
  const samples = await scrape(semtel.metricsUrl);
  const requests = fake.modelRequests;
  const admitted = admittedOf(fake, runStart, offerEnd);
  const charged = admitted.reduce((sum, request) => sum + request.chargedTokens, 0);
  const usage = admitted.reduce(
    (sum, request) => sum + (request.usage ? request.usage.promptTokens + request.usage.completionTokens : 0),
    0,
  );
  const minutes = (offerEnd - runStart) / 60_000;
  const steady = steadyState(admitted, tokensPerMinute, bucketFullAt, offerEnd, calibration.tokensPerRequest);
  console.log(
    `  LLM tokens/min achieved ÷ limit: steady state ${steady.from !== undefined ? `${steady.utilisation.toFixed(3)} of the capacity (t=${((steady.from - runStart) / 1000).toFixed(1)}–${((offerEnd - runStart) / 1000).toFixed(0)} s, after the initial full bucket was spent; raw admitted/min ÷ limit ${(steady.tokensPerMinute / tokensPerMinute).toFixed(3)}, the fake's bucket holding ${Math.round(steady.levelAtStart)} tokens at the start and ${Math.round(steady.levelAtEnd)} at the end)` : 'n/a (the initial full bucket was never spent)'}; whole offering incl. the initial burst ${(charged / minutes / tokensPerMinute).toFixed(3)} raw, ${steady.wholeUtilisation.toFixed(3)} of the capacity (limit × minutes + the initial full bucket)`,
  );
  console.log(
    `  (charged = prompt + max output, as the endpoint counts; actual usage tokens/min ÷ limit ${(usage / minutes / tokensPerMinute).toFixed(3)})`,
  );
  // The initial full bucket is a whole minute's burst; the second half of the offering is past it either way.
  const secondHalf = admittedOf(fake, runStart + durationMs / 2, offerEnd);
  const halfMinutes = (offerEnd - runStart - durationMs / 2) / 60_000;
  const halfCharged = secondHalf.reduce((sum, request) => sum + request.chargedTokens, 0);
  const halfUsage = secondHalf.reduce(
    (sum, request) => sum + (request.usage ? request.usage.promptTokens + request.usage.completionTokens : 0),
    0,
  );
  console.log(
    `  second half of the offering (t=${durationMs / 2000}–${((offerEnd - runStart) / 1000).toFixed(0)} s): charged tokens/min ÷ limit ${(halfCharged / halfMinutes / tokensPerMinute).toFixed(3)}, usage (prompt + completion) tokens/min ÷ limit ${(halfUsage / halfMinutes / tokensPerMinute).toFixed(3)}, ${secondHalf.length} requests`,
  );
  const limited = requests.filter((request) => request.status === 429).length;
  console.log(
    `  requests answered 429: ${limited} of ${requests.length} = ${((100 * limited) / Math.max(1, requests.length)).toFixed(2)}%; items per request ${(admitted.reduce((sum, request) => sum + itemsOf(request), 0) / Math.max(1, admitted.length)).toFixed(1)}`,
  );
  const outcomes = samples
    .filter((sample) => sample.name === 'semtel_llm_requests_total')
    .map((sample) => `${sample.labels.outcome} ${sample.value}`)
    .join(', ');
  console.log(
    `  semtel_llm_requests_total: ${outcomes}; rejected without sending: ${JSON.stringify(rejections(samples))}`,
  );
  printService(tracker, samples, ratios, semtel);
  console.log(
    `  against the targets: tokens/min ÷ limit ${(steady.utilisation ?? steady.wholeUtilisation).toFixed(3)}${steady.from === undefined ? ' (whole offering)' : ''} (≥ 0.9), requests answered 429 ${((100 * limited) / Math.max(1, requests.length)).toFixed(2)}% (≤ 2%), spans lost ${tracker.acknowledged - tracker.delivered} (0)`,
  );
  await semtel.stop();
  await Promise.all([sink.close(), fake.close()]);
}

function rejections(samples) {
  return Object.fromEntries(
    samples
      .filter((sample) => sample.name === 'semtel_llm_rejected_total')
      .map((sample) => [sample.labels.reason, sample.value]),
  );
}

async function failover(calibration) {
  const limitsA = { tokensPerMinute: Math.round(tokensPerMinute * 0.75), requestsPerMinute, headers: sendHeaders };
  const limitsB = { tokensPerMinute: Math.round(tokensPerMinute * 0.375), requestsPerMinute, headers: sendHeaders };
  const capacity = capacitySpansPerMinute(
    calibration,
    limitsA.tokensPerMinute + limitsB.tokensPerMinute,
    2 * requestsPerMinute,
  );
  const spansPerSecond = (capacity * loadFactor) / 60;
  const a = await FakeOpenAiServer.start({ apiKey, faults: { rateLimits: limitsA, ...latency } });
  const b = await FakeOpenAiServer.start({ apiKey, faults: { rateLimits: limitsB, ...latency } });
  const tracker = createTracker();
  const sink = await OtlpSink.start({ retainData: false, onAccepted: tracker.onAccepted });
  const semtel = await startSemtel(
    {
      model: 'gpt-4o-mini',
      endpoints: [
        { name: 'a', ...llmConfig(a, limitsA) },
        { name: 'b', ...llmConfig(b, limitsB) },
      ],
    },
    sink.httpEndpoint,
  );
  console.log(
    `Run 2: endpoint a TPM ${limitsA.tokensPerMinute}, endpoint b TPM ${limitsB.tokensPerMinute} (RPM ${requestsPerMinute} each); b goes down at t=${durationMs / 2000} s;`,
  );
  console.log(
    `       capacity ≈ ${capacity.toFixed(0)} spans/min combined; offered ${loadFactor}× = ${(spansPerSecond * 60).toFixed(0)} spans/min for ${durationMs / 1000} s`,
  );
  const runStart = Date.now();
  let down = false;
  const { ratios, offerEnd } = await offer(semtel, tracker, spansPerSecond, (elapsed) => {
    if (!down && elapsed >= durationMs / 2) {
      down = true;
      b.setFaults({ ...latency, rateLimits: limitsB, down: true });
    }
  });
  await drain(tracker, 120_000);
  const middle = runStart + durationMs / 2;
  for (const [label, from, to] of [
    ['first half (both up)', runStart, middle],
    ['second half (b down)', middle, offerEnd],
  ]) {
    const served = { a: 0, b: 0 };
    const requests = {};
    for (const [name, server] of [
      ['a', a],
      ['b', b],
    ]) {
      served[name] = admittedOf(server, from, to)
        .filter((request) => request.status === 200)
        .reduce((sum, request) => sum + request.chargedTokens, 0);
      const inWindow = server.modelRequests.filter((request) => request.receivedAt >= from && request.receivedAt < to);
      requests[name] = {
        ok: inWindow.filter((request) => request.status === 200).length,
        429: inWindow.filter((request) => request.status === 429).length,
        dropped: inWindow.filter((request) => request.outcome === 'down').length,
      };
    }
    const total = served.a + served.b;
    const okTotal = requests.a.ok + requests.b.ok;
    const minutes = (to - from) / 60_000;
    console.log(
      `  ${label}: share of tokens served a ${((100 * served.a) / Math.max(1, total)).toFixed(1)}%, b ${((100 * served.b) / Math.max(1, total)).toFixed(1)}%; of successful requests a ${((100 * requests.a.ok) / Math.max(1, okTotal)).toFixed(1)}%, b ${((100 * requests.b.ok) / Math.max(1, okTotal)).toFixed(1)}%`,
    );
    console.log(
      `      requests a ok ${requests.a.ok} / 429 ${requests.a[429]}; b ok ${requests.b.ok} / 429 ${requests.b[429]} / dropped (down) ${requests.b.dropped}; tokens/min a ${(served.a / minutes / limitsA.tokensPerMinute).toFixed(2)}× its limit, b ${(served.b / minutes / limitsB.tokensPerMinute).toFixed(2)}× its limit`,
    );
  }
  console.log(
    `  capacity split while both are up: a ${((100 * limitsA.tokensPerMinute) / (limitsA.tokensPerMinute + limitsB.tokensPerMinute)).toFixed(1)}% / b ${((100 * limitsB.tokensPerMinute) / (limitsA.tokensPerMinute + limitsB.tokensPerMinute)).toFixed(1)}%`,
  );
  const all = [...a.modelRequests, ...b.modelRequests];
  const limited = all.filter((request) => request.status === 429).length;
  console.log(
    `  requests answered 429 (both endpoints): ${limited} of ${all.length} = ${((100 * limited) / Math.max(1, all.length)).toFixed(2)}%`,
  );
  const samples = await scrape(semtel.metricsUrl);
  const circuits = samples
    .filter((sample) => sample.name === 'semtel_llm_circuit_state' && sample.value === 1)
    .map((sample) => `${sample.labels.endpoint} ${sample.labels.state}`)
    .join(', ');
  console.log(`  circuits at the end (semtel_llm_circuit_state): ${circuits || 'none reported (never changed)'}`);
  console.log(`  rejected without sending: ${JSON.stringify(rejections(samples))}`);
  printService(tracker, samples, ratios, semtel);
  console.log(
    `  against the targets: requests answered 429 ${((100 * limited) / Math.max(1, all.length)).toFixed(2)}% (≤ 2%), spans lost ${tracker.acknowledged - tracker.delivered} (0)`,
  );
  await semtel.stop();
  await Promise.all([sink.close(), a.close(), b.close()]);
}

console.log(
  `rate-limit service bench — node ${process.version}, ${platform()} ${release()}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
);
console.log(
  `semtel child: otlp (http) → semantic (max_concurrency ${maxConcurrency ?? 'default'}, max_hold ${maxHold}, adaptive max_backlog ${maxBacklog || 'derived'}, other keys default) → otlp_http → OtlpSink; fake LLM latency ${latency.latencyMs} ms + ${latency.latencyPerPromptTokenMs} ms/prompt token + ${latency.latencyPerOutputTokenMs} ms/output token; x-ratelimit-* headers ${sendHeaders ? 'sent' : 'not sent'}; the fake charges prompt + max_tokens`,
);
const calibration = await calibrate();
console.log(
  `calibration (same service, no limits): ${calibration.spansPerRequest} spans/request at full batches, ${calibration.tokensPerRequest.toFixed(0)} tokens charged/request = ${calibration.tokensPerSpan.toFixed(0)} tokens/span`,
);
if (args.only !== 'failover') await singleEndpoint(calibration);
if (args.only !== 'single') await failover(calibration);
