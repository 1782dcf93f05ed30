#!/usr/bin/env node
// The durable queue's own CPU cost, in one process and without HTTP: each request is decoded as
// the receiver decodes it (and handed over with its body on record, as the receiver does), goes
// through the durable queue processor or straight on, and is encoded as the exporter encodes it.
// Needs a build (`npx tsc -b`).
//
//   node test/bench/durable-cpu.bench.mjs [--duration 4] [--rounds 4] [--concurrency 8] [--spans 512]
//
// durable.bench.mjs measures the whole service; there the load generator and the sink share the
// machine, so semtel's CPU shows only once it is the bottleneck. Here it is the only work. The
// configurations take turns, so drift on a shared machine hits each about equally; each figure is
// the median over the rounds (a round's first seconds include the JIT warming up, so one warm-up
// round per configuration comes first and is not counted).
//
// Benchmarks measure; they never assert.
import { Buffer } from 'node:buffer';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, platform, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate, setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { noopTelemetry } from '@semtel/component';
import { decodeTraces, encodeTraces, withReceivedProtobuf } from '@semtel/otlp';
import { countSpans } from '@semtel/pdata';
import { buildMixedTraces } from '@semtel/testing';

// `pnpm bench:… -- --flag` passes the `--` on; it is not an argument.
const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((argument) => argument !== '--'),
  // Not strict: `pnpm bench` passes every bench the same arguments.
  strict: false,
  options: {
    duration: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '8' },
    spans: { type: 'string', default: '512' },
    'genai-ratio': { type: 'string', default: '0.25' },
  },
});
const durationSeconds = Number(args.duration);
const rounds = Number(args.rounds);
const concurrency = Number(args.concurrency);
const spansPerRequest = Number(args.spans);
const genAiRatio = Number(args['genai-ratio']);

// The processor package is not a dependency of the e2e package: it is reached through the build.
const processorPath = fileURLToPath(new URL('../../packages/processor-durable-queue/dist/index.js', import.meta.url));
if (!existsSync(processorPath)) {
  console.error(`${processorPath} is missing: run \`npx tsc -b\` first.`);
  process.exit(1);
}
const { durableQueueConfigSchema, durableQueueProcessorFactory } = await import(processorPath);

const payloads = Array.from({ length: 16 }, (_, index) =>
  Buffer.from(
    encodeTraces(
      buildMixedTraces({ spanCount: spansPerRequest, genAiRatio, variantOffset: index * 10_000 }),
      'protobuf',
    ),
  ),
);

let deliveredSpans = 0;
const exporter = {
  async consumeTraces(traces) {
    encodeTraces(traces, 'protobuf');
    // The send: a later event turn, as a socket write would be.
    await setImmediate();
    deliveredSpans += countSpans(traces);
  },
};

async function measure({ fsync, bodyOnRecord }) {
  const directory = mkdtempSync(join(tmpdir(), 'semtel-durable-cpu-'));
  let processor;
  let consumer = exporter;
  if (fsync !== undefined) {
    processor = durableQueueProcessorFactory.create(
      { id: { type: 'durable_queue', name: '' }, telemetry: noopTelemetry },
      durableQueueConfigSchema.parse({ directory, fsync }),
      { traces: exporter },
    );
    await processor.start({ reportFatalError: () => {} });
    consumer = processor;
  }
  try {
    deliveredSpans = 0;
    let sequence = 0;
    const cpuBefore = process.cpuUsage();
    const startedAt = performance.now();
    const endAt = startedAt + durationSeconds * 1000;
    const sender = async () => {
      while (performance.now() < endAt) {
        const body = payloads[sequence++ % payloads.length];
        const traces = decodeTraces(body, 'protobuf');
        if (bodyOnRecord) await withReceivedProtobuf(traces, body, () => consumer.consumeTraces(traces));
        else await consumer.consumeTraces(traces);
        await setImmediate();
      }
    };
    await Promise.all(Array.from({ length: concurrency }, sender));
    while (processor !== undefined && processor.stored('traces') > 0) await delay(1);
    const elapsedSeconds = (performance.now() - startedAt) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    return {
      spansPerSecond: deliveredSpans / elapsedSeconds,
      cpuMicrosPerSpan: (cpu.user + cpu.system) / deliveredSpans,
    };
  } finally {
    await processor?.shutdown();
    rmSync(directory, { recursive: true, force: true });
  }
}

const configurations = [
  { name: 'durable queue off (receiver decode → exporter encode)', settings: { bodyOnRecord: true } },
  { name: 'durable queue on, fsync: batch', settings: { fsync: 'batch', bodyOnRecord: true } },
  { name: 'durable queue on, fsync: always', settings: { fsync: 'always', bodyOnRecord: true } },
  {
    name: 'durable queue on, fsync: batch, no body on record (it encodes each request again)',
    settings: { fsync: 'batch', bodyOnRecord: false },
  },
];

const cpu = cpus();
console.log('semtel durable-queue CPU benchmark (in process, no HTTP)');
console.log(
  `machine: ${cpu[0]?.model ?? 'unknown cpu'}, ${cpu.length} cores, ${platform()} ${release()}, node ${process.version}`,
);
console.log(
  `workload: ${spansPerRequest} spans/request (${Math.round(genAiRatio * 100)}% ~5 KB GenAI chat spans), ` +
    `${concurrency} concurrent senders, ${durationSeconds} s per configuration and round, ${rounds} rounds taking turns`,
);
console.log('');

for (const configuration of configurations) await measure(configuration.settings);
const runs = configurations.map(() => []);
for (let round = 0; round < rounds; round++) {
  const order = [...configurations.keys()];
  if (round % 2 === 1) order.reverse();
  for (const index of order) runs[index].push(await measure(configurations[index].settings));
}

const median = (values) => [...values].sort((left, right) => left - right)[values.length >> 1];
const throughputs = runs.map((results) => median(results.map((result) => result.spansPerSecond)));
for (const [index, configuration] of configurations.entries()) {
  const results = runs[index];
  console.log(`${configuration.name}:`);
  console.log(
    `  throughput: ${throughputs[index].toFixed(0)} spans/s (median; rounds: ` +
      `${results.map((result) => result.spansPerSecond.toFixed(0)).join(', ')}); ` +
      `CPU ${median(results.map((result) => result.cpuMicrosPerSpan)).toFixed(1)} µs/span (median, all threads)`,
  );
  if (index > 0) console.log(`  ratio on / off: ${(throughputs[index] / throughputs[0]).toFixed(2)}`);
}
