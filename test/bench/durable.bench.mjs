#!/usr/bin/env node
// Durable-queue benchmark: the pass-through workload (OTLP/HTTP protobuf in → semtel → otlp_http
// out → OtlpSink) with the durable queue off and on, in one run, against the same sink. Prints the
// throughput of each and their ratio. Needs a build (`npx tsc -b`).
//
//   node test/bench/durable.bench.mjs [--duration 8] [--rounds 2] [--concurrency 8] [--spans 512] [--port-base N]
//
// semtel listens on free loopback ports, or with --port-base on N, N+1 and N+2 (one semtel runs at a time).
//
// The configurations take turns (off, on, on-always, off, …) so drift on a shared machine hits
// each about equally; each figure is the mean over the rounds, each round printed too.
//
// Benchmarks measure; they never assert.
import { Buffer } from 'node:buffer';
import { existsSync } from 'node:fs';
import { cpus, totalmem, platform, release } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout } from 'node:timers';
import { parseArgs } from 'node:util';
import { encodeTraces } from '@semtel/otlp';
import { buildMixedTraces, OtlpSink } from '@semtel/testing';
import { cliPath, closeSenders, freePorts, postProtobuf, startSemtelChild } from './semtel-child.mjs';

// `pnpm bench:… -- --flag` passes the `--` on; it is not an argument.
const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((argument) => argument !== '--'),
  // Not strict: `pnpm bench` passes every bench the same arguments (`--grpc` is the pass-through one's).
  strict: false,
  options: {
    duration: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '8' },
    spans: { type: 'string', default: '512' },
    'genai-ratio': { type: 'string', default: '0.25' },
    'port-base': { type: 'string' },
  },
});
const durationSeconds = Number(args.duration);
const rounds = Number(args.rounds);
const concurrency = Number(args.concurrency);
const spansPerRequest = Number(args.spans);
const genAiRatio = Number(args['genai-ratio']);
const portBase = args['port-base'] === undefined ? undefined : Number(args['port-base']);

if (!existsSync(cliPath)) {
  console.error(`${cliPath} is missing: run \`npx tsc -b\` first.`);
  process.exit(1);
}

// Distinct pre-encoded payloads, as in passthrough.bench.mjs.
const payloads = Array.from({ length: 16 }, (_, index) =>
  Buffer.from(
    encodeTraces(
      buildMixedTraces({ spanCount: spansPerRequest, genAiRatio, variantOffset: index * 10_000 }),
      'protobuf',
    ),
  ),
);
const payloadBytes = payloads.reduce((total, body) => total + body.length, 0) / payloads.length;

let deliveredSpans = 0;
let lastDeliveryAt = 0;
const sink = await OtlpSink.start({
  retainData: false,
  onAccepted: (request) => {
    if (request.signal !== 'traces') return;
    deliveredSpans += request.itemCount;
    lastDeliveryAt = performance.now();
  },
});

async function startSemtel({ processorsYaml, processors, sendingQueue }) {
  const [httpPort, grpcPort, metricsPort] =
    portBase === undefined ? await freePorts(3) : [portBase, portBase + 1, portBase + 2];
  const semtel = await startSemtelChild({
    config: (directory) =>
      `receivers:
  otlp:
    protocols:
      grpc: { endpoint: 127.0.0.1:${grpcPort} }
      http: { endpoint: 127.0.0.1:${httpPort} }
${processorsYaml ? `processors:\n${processorsYaml.replaceAll('QUEUE_DIRECTORY', join(directory, 'queue'))}` : ''}
exporters:
  otlp_http:
    endpoint: ${sink.httpEndpoint}
    compression: none
    sending_queue: { enabled: ${sendingQueue} }
service:
  pipelines:
    traces: { receivers: [otlp], processors: [${processors.join(', ')}], exporters: [otlp_http] }
  telemetry:
    metrics: { address: 127.0.0.1:${metricsPort} }
    logs: { level: warn }
`,
    readyPorts: [httpPort],
  });
  return { ...semtel, url: `http://127.0.0.1:${httpPort}/v1/traces` };
}

/** Closed-loop senders for `seconds`; returns acknowledged and refused request counts. */
async function drive(url, seconds) {
  let sent = 0;
  let rejected = 0;
  let sequence = 0;
  const startedAt = performance.now();
  const endAt = startedAt + seconds * 1000;
  async function worker() {
    while (performance.now() < endAt) {
      const body = payloads[sequence++ % payloads.length];
      let status;
      try {
        status = await postProtobuf(url, body);
      } catch {
        status = 0;
      }
      if (status === 200) sent += 1;
      else {
        rejected += 1;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { sent, rejected, startedAt, stoppedAt: performance.now() };
}

async function waitForDelivery(expected, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  while (deliveredSpans < expected && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function measure(name, settings) {
  const semtel = await startSemtel(settings);
  try {
    deliveredSpans = 0;
    const warmUp = await drive(semtel.url, 1);
    await waitForDelivery(warmUp.sent * spansPerRequest, 10_000);
    deliveredSpans = 0;
    lastDeliveryAt = 0;
    const cpuBefore = semtel.cpuSeconds();
    const load = await drive(semtel.url, durationSeconds);
    await waitForDelivery(load.sent * spansPerRequest, 60_000);
    const elapsedSeconds = (Math.max(lastDeliveryAt, load.stoppedAt) - load.startedAt) / 1000;
    const cpuAfter = semtel.cpuSeconds();
    return {
      name,
      spansPerSecond: deliveredSpans / elapsedSeconds,
      deliveredSpans,
      acknowledgedSpans: load.sent * spansPerRequest,
      rejected: load.rejected,
      cores: cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuAfter - cpuBefore) / elapsedSeconds,
      peakRssMib: (semtel.peakRss() ?? Number.NaN) / 2 ** 20,
    };
  } finally {
    await semtel.stop();
  }
}

const format = (value, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const cpu = cpus();
console.log('semtel durable-queue benchmark');
console.log(
  `machine: ${cpu[0]?.model ?? 'unknown cpu'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ` +
    `${platform()} ${release()}, node ${process.version}`,
);
console.log(
  `workload: ${spansPerRequest} spans/request (${Math.round(genAiRatio * 100)}% ~5 KB GenAI chat spans), ` +
    `${(payloadBytes / 1024).toFixed(0)} KiB/request protobuf, ${concurrency} concurrent senders, ` +
    `${durationSeconds} s per configuration and round, ${rounds} rounds taking turns`,
);
console.log('');

const durable = (fsync) => ({
  processorsYaml: `  durable_queue: { directory: QUEUE_DIRECTORY, fsync: ${fsync} }\n`,
  processors: ['durable_queue'],
  sendingQueue: false,
});
const configurations = [
  {
    name: 'durable queue off (otlp receiver → otlp_http with its in-memory sending_queue)',
    settings: { processors: [], sendingQueue: true },
  },
  { name: 'durable queue on, fsync: batch (default; sending_queue disabled)', settings: durable('batch') },
  { name: 'durable queue on, fsync: always (sending_queue disabled)', settings: durable('always') },
];
const runs = configurations.map(() => []);
for (let round = 0; round < rounds; round++) {
  for (const [index, configuration] of configurations.entries()) {
    runs[index].push(await measure(configuration.name, configuration.settings));
  }
}

const mean = (values) => values.reduce((sum, value) => sum + value, 0) / values.length;
const throughputs = runs.map((results) => mean(results.map((result) => result.spansPerSecond)));
for (const [index, configuration] of configurations.entries()) {
  const results = runs[index];
  console.log(`${configuration.name}:`);
  console.log(
    `  throughput: ${format(throughputs[index], 0)} spans/s delivered (mean; rounds: ` +
      `${results.map((result) => format(result.spansPerSecond, 0)).join(', ')}); ` +
      `${results.reduce((sum, result) => sum + result.deliveredSpans, 0)} delivered, ` +
      `${results.reduce((sum, result) => sum + result.acknowledgedSpans, 0)} acknowledged, ` +
      `${results.reduce((sum, result) => sum + result.rejected, 0)} sends refused; ` +
      `semtel used ${format(mean(results.map((result) => result.cores ?? Number.NaN)), 2)} cores; ` +
      `peak RSS ${format(Math.max(...results.map((result) => result.peakRssMib ?? Number.NaN)), 0)} MiB`,
  );
  if (index > 0) console.log(`  ratio on / off: ${format(throughputs[index] / throughputs[0], 2)}`);
}

closeSenders();
await sink.close();
