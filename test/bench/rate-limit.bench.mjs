#!/usr/bin/env node
// Rate-limit benchmark: OpenAiClassifier (the real `openai` client) against FakeOpenAiServer endpoints that
// enforce RPM and TPM with OpenAI-style headers and whose latency grows with tokens. Load is offered
// open-loop at 3× what the limits allow, the way the semantic processor offers batches: each batch has
// an AbortSignal of max_hold, and at most --max-pending batches wait at once (the rest are shed, i.e.
// released unlabelled); the classifier's max_queue_wait (default 15 s) fails batches fast instead of
// queueing them past max_hold. Needs a build (`npx tsc -b packages/llm-openai packages/testing`).
//
//   node test/bench/rate-limit.bench.mjs [--duration 90] [--tpm 400000] [--rpm 1000] [--items 8]
//                                        [--load 3] [--max-hold 30] [--max-pending 256] [--only single|failover]
//
// Run 1: one endpoint. Run 2: two endpoints with different limits; the second goes down halfway.
// Benchmarks measure; they never assert.
import { cpus, platform, release } from 'node:os';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { defaultTaxonomy } from '@semtel/classifier';
import { OpenAiClassifier } from '@semtel/llm-openai';
import { FakeOpenAiServer } from '@semtel/testing';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '90' },
    tpm: { type: 'string', default: '400000' },
    rpm: { type: 'string', default: '1000' },
    items: { type: 'string', default: '8' },
    load: { type: 'string', default: '3' },
    'max-hold': { type: 'string', default: '30' },
    'max-pending': { type: 'string', default: '256' },
    'max-output-tokens': { type: 'string', default: '700' },
    only: { type: 'string' },
  },
});
const durationMs = Number(args.duration) * 1000;
const tokensPerMinute = Number(args.tpm);
const requestsPerMinute = Number(args.rpm);
const itemsPerBatch = Number(args.items);
const loadFactor = Number(args.load);
const maxHoldMs = Number(args['max-hold']) * 1000;
const maxPending = Number(args['max-pending']);
const maxOutputTokens = Number(args['max-output-tokens']);
const apiKey = 'sk-bench-rate-limit-000000';
const taxonomy = defaultTaxonomy();
// Generation-like latency: a fixed part, prefill per prompt token, decoding per output token.
const latency = { latencyMs: 150, latencyPerPromptTokenMs: 0.05, latencyPerOutputTokenMs: 4 };

const topics = [
  'How do I fix this TypeScript compile error about an implicit any in my reducer?',
  'What should I eat before a long run to avoid cramps, and how much water?',
  'Plan a three day trip to Lisbon with a small budget and good food.',
  'Write a SQL query that finds customers who ordered twice in the same week.',
  'Summarise this contract clause about termination notice periods for me.',
  'Explain the difference between a Roth IRA and a traditional IRA simply.',
  'My toddler will not sleep through the night; what routines help?',
  'Draft a polite email declining a meeting invitation next Tuesday.',
];
let sequence = 0;
function makeBatch() {
  return Array.from({ length: itemsPerBatch }, (_, index) => {
    const topic = topics[(sequence + index * 3) % topics.length];
    sequence += 1;
    return {
      id: `i${index + 1}`,
      transcript: `user: ${topic} (case ${sequence})\nassistant: Here is a careful answer covering the main points, with examples and a short summary at the end.`,
    };
  });
}

function percentile(sorted, fraction) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}

let peakRss = 0;
const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);

/** The tokens one batch is charged (prompt estimate + max output), measured on a throwaway endpoint. */
async function chargePerBatch() {
  const server = await FakeOpenAiServer.start({ apiKey });
  let charged = 0;
  const classifier = new OpenAiClassifier(
    { base_url: server.baseUrl, api_key: apiKey, max_output_tokens: maxOutputTokens },
    { onRequest: (event) => (charged = event.chargedTokens) },
  );
  await classifier.classify(makeBatch(), taxonomy);
  await server.close();
  return charged;
}

/**
 * Offers batches open-loop at `ratePerSecond` for the duration, each with an AbortSignal of max_hold.
 * `during(elapsedMs)` runs every 100 ms (to fail an endpoint midway).
 */
async function offer(classifier, ratePerSecond, during = () => {}) {
  const started = performance.now();
  const results = { offered: 0, shed: 0, classified: 0, failed: new Map(), latencies: [] };
  const pending = new Set();
  let offered = 0;
  while (performance.now() - started < durationMs) {
    const elapsed = performance.now() - started;
    during(elapsed);
    const due = Math.floor((elapsed / 1000) * ratePerSecond);
    for (; offered < due; offered += 1) {
      results.offered += 1;
      if (pending.size >= maxPending) {
        results.shed += 1;
        continue;
      }
      const batchStarted = performance.now();
      const promise = classifier
        .classify(makeBatch(), taxonomy, globalThis.AbortSignal.timeout(maxHoldMs))
        .then(
          () => {
            results.classified += 1;
            results.latencies.push(performance.now() - batchStarted);
          },
          (error) => {
            const kind = error?.kind ?? 'exception';
            results.failed.set(kind, (results.failed.get(kind) ?? 0) + 1);
          },
        )
        .finally(() => pending.delete(promise));
      pending.add(promise);
    }
    await sleep(100);
  }
  // Batches still waiting end within max_hold.
  await Promise.all(pending);
  results.elapsedMs = performance.now() - started;
  return results;
}

/** Server-side view: what the fake admitted (charged against TPM), and how many it answered 429. */
function serverFigures(server, runStart, runEnd) {
  const requests = server.modelRequests.filter(
    (request) => request.receivedAt >= runStart && request.receivedAt <= runEnd,
  );
  const admitted = requests.filter((request) => request.chargedTokens !== undefined);
  return {
    requests: requests.length,
    limited: requests.filter((request) => request.status === 429).length,
    admitted,
    chargedTokens: admitted.reduce((sum, request) => sum + request.chargedTokens, 0),
    usageTokens: admitted.reduce(
      (sum, request) => sum + (request.usage ? request.usage.promptTokens + request.usage.completionTokens : 0),
      0,
    ),
  };
}

/**
 * Tokens per minute admitted once the initial full bucket (a whole minute's burst) is spent: from the
 * moment the server's bucket (replayed from the admitted requests) first holds less than two batches
 * to the end of the offering. Over that window the bucket starts and ends near empty, so what was
 * admitted is what the limit let through: admitted ÷ (limit × minutes) is the utilisation.
 */
function steadyState(admitted, limit, runStart, offerEnd, charge) {
  let level = limit;
  let last = runStart;
  let steadyFrom;
  const ordered = [...admitted].sort((left, right) => left.receivedAt - right.receivedAt);
  for (const request of ordered) {
    level = Math.min(limit, level + ((request.receivedAt - last) * limit) / 60_000) - request.chargedTokens;
    last = request.receivedAt;
    if (steadyFrom === undefined && level < 2 * charge) steadyFrom = request.receivedAt;
  }
  if (steadyFrom === undefined || offerEnd - steadyFrom < 10_000) return undefined;
  const tokens = ordered
    .filter((request) => request.receivedAt > steadyFrom && request.receivedAt <= offerEnd)
    .reduce((sum, request) => sum + request.chargedTokens, 0);
  const minutes = (offerEnd - steadyFrom) / 60_000;
  return { from: (steadyFrom - runStart) / 1000, minutes, tokensPerMinute: tokens / minutes };
}

function httpLatencies(events) {
  return events
    .filter((event) => event.outcome === 'success')
    .map((event) => event.durationMs)
    .sort((left, right) => left - right);
}

function printResults(label, results, events) {
  const latencies = results.latencies.sort((left, right) => left - right);
  const http = httpLatencies(events);
  const failed = [...results.failed].map(([kind, count]) => `${kind} ${count}`).join(', ') || 'none';
  console.log(
    `  batches offered ${results.offered}, classified ${results.classified}, shed at max_pending ${results.shed}, failed: ${failed}`,
  );
  console.log(
    `  ${label} latency (queue + retries + HTTP): p50 ${percentile(latencies, 0.5).toFixed(0)} ms, p99 ${percentile(latencies, 0.99).toFixed(0)} ms`,
  );
  console.log(
    `  HTTP request latency: p50 ${percentile(http, 0.5).toFixed(0)} ms, p99 ${percentile(http, 0.99).toFixed(0)} ms`,
  );
  const abandoned = events.filter((event) => event.outcome === 'aborted').length;
  console.log(`  requests sent but abandoned in flight (max_hold fired): ${abandoned} of ${events.length}`);
}

async function singleEndpoint(charge) {
  const capacityPerSecond = Math.min(tokensPerMinute / charge, requestsPerMinute) / 60;
  const server = await FakeOpenAiServer.start({
    apiKey,
    faults: { rateLimits: { requestsPerMinute, tokensPerMinute }, ...latency },
  });
  const events = [];
  const limits = [];
  const classifier = new OpenAiClassifier(
    {
      base_url: server.baseUrl,
      api_key: apiKey,
      rpm: requestsPerMinute,
      tpm: tokensPerMinute,
      max_output_tokens: maxOutputTokens,
    },
    {
      onRequest: (event) => events.push(event),
      observer: { onConcurrencyLimit: (_endpoint, limit) => limits.push(limit) },
    },
  );
  console.log(
    `Run 1: one endpoint, TPM ${tokensPerMinute}, RPM ${requestsPerMinute}, ${itemsPerBatch} items/batch ≈ ${charge} tokens charged/batch,`,
  );
  console.log(
    `       capacity ≈ ${(capacityPerSecond * 60).toFixed(1)} batches/min, offered ${loadFactor}× = ${(capacityPerSecond * 60 * loadFactor).toFixed(1)} batches/min for ${durationMs / 1000} s`,
  );
  const runStart = Date.now();
  const results = await offer(classifier, capacityPerSecond * loadFactor);
  const runEnd = Date.now();
  const offerEnd = runStart + durationMs;
  const figures = serverFigures(server, runStart, runEnd);
  const minutes = (runEnd - runStart) / 60_000;
  const steady = steadyState(figures.admitted, tokensPerMinute, runStart, offerEnd, charge);
  console.log(
    `  LLM tokens/min achieved ÷ limit: steady state ${steady ? `${(steady.tokensPerMinute / tokensPerMinute).toFixed(3)} (t=${steady.from.toFixed(1)}–${durationMs / 1000} s, after the initial full bucket was spent)` : 'n/a (run longer)'}; whole run incl. the initial burst ${(figures.chargedTokens / minutes / tokensPerMinute).toFixed(3)}`,
  );
  console.log(
    `  (charged = prompt + max_output_tokens, as the endpoint counts; actual usage tokens/min ÷ limit ${(figures.usageTokens / minutes / tokensPerMinute).toFixed(3)})`,
  );
  console.log(
    `  requests answered 429: ${figures.limited} of ${figures.requests} = ${((100 * figures.limited) / Math.max(1, figures.requests)).toFixed(2)}%`,
  );
  printResults('batch', results, events);
  console.log(
    `  concurrency limit: final ${classifier.snapshot().endpoints[0]?.concurrencyLimit}, changes ${limits.length}`,
  );
  await server.close();
}

async function failover(charge) {
  const limitsA = { tokensPerMinute: Math.round(tokensPerMinute * 0.75), requestsPerMinute };
  const limitsB = { tokensPerMinute: Math.round(tokensPerMinute * 0.375), requestsPerMinute };
  const a = await FakeOpenAiServer.start({ apiKey, faults: { rateLimits: limitsA, ...latency } });
  const b = await FakeOpenAiServer.start({ apiKey, faults: { rateLimits: limitsB, ...latency } });
  const events = [];
  const classifier = new OpenAiClassifier(
    {
      endpoints: [
        { name: 'a', base_url: a.baseUrl, api_key: apiKey, tpm: limitsA.tokensPerMinute, rpm: requestsPerMinute },
        { name: 'b', base_url: b.baseUrl, api_key: apiKey, tpm: limitsB.tokensPerMinute, rpm: requestsPerMinute },
      ],
      max_output_tokens: maxOutputTokens,
    },
    { onRequest: (event) => events.push(event) },
  );
  const combined = (limitsA.tokensPerMinute + limitsB.tokensPerMinute) / charge / 60;
  console.log(
    `Run 2: endpoint a TPM ${limitsA.tokensPerMinute}, endpoint b TPM ${limitsB.tokensPerMinute}; b goes down at t=${durationMs / 2000} s;`,
  );
  console.log(
    `       offered ${loadFactor}× the combined capacity = ${(combined * 60 * loadFactor).toFixed(1)} batches/min for ${durationMs / 1000} s`,
  );
  const runStart = Date.now();
  let down = false;
  const results = await offer(classifier, combined * loadFactor, (elapsed) => {
    if (!down && elapsed >= durationMs / 2) {
      down = true;
      b.setFaults({ down: true });
    }
  });
  const middle = runStart + durationMs / 2;
  for (const [label, from, to] of [
    ['first half (both up)', runStart, middle],
    ['second half (b down)', middle, Date.now()],
  ]) {
    const served = { a: 0, b: 0 };
    for (const [name, server] of [
      ['a', a],
      ['b', b],
    ])
      served[name] = serverFigures(server, from, to).chargedTokens;
    const total = served.a + served.b;
    console.log(
      `  ${label}: share of tokens served a ${((100 * served.a) / Math.max(1, total)).toFixed(1)}%, b ${((100 * served.b) / Math.max(1, total)).toFixed(1)}% (capacity split ${((100 * limitsA.tokensPerMinute) / (limitsA.tokensPerMinute + limitsB.tokensPerMinute)).toFixed(1)}% / ${((100 * limitsB.tokensPerMinute) / (limitsA.tokensPerMinute + limitsB.tokensPerMinute)).toFixed(1)}% while both are up)`,
    );
  }
  const byEndpoint = (name, outcome) =>
    events.filter((event) => event.endpoint === name && event.outcome === outcome).length;
  console.log(
    `  requests: a ok ${byEndpoint('a', 'success')} / 429 ${byEndpoint('a', 'rate_limited')}; b ok ${byEndpoint('b', 'success')} / 429 ${byEndpoint('b', 'rate_limited')} / network errors after going down ${byEndpoint('b', 'network')}`,
  );
  printResults('batch', results, events);
  console.log(
    `  circuits at the end: ${classifier
      .snapshot()
      .endpoints.map((endpoint) => `${endpoint.name} ${endpoint.circuit}`)
      .join(', ')}`,
  );
  await Promise.all([a.close(), b.close()]);
}

console.log(
  `rate-limit bench — node ${process.version}, ${platform()} ${release()}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
);
const charge = await chargePerBatch();
if (args.only !== 'failover') await singleEndpoint(charge);
if (args.only !== 'single') await failover(charge);
clearInterval(rssTimer);
console.log(`peak RSS (bench process: classifier + fake servers): ${(peakRss / 1024 / 1024).toFixed(0)} MiB`);
