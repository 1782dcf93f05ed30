#!/usr/bin/env node
// Pass-through benchmark: OTLP/HTTP protobuf in → semtel (no processors) → otlp_http out → OtlpSink.
// Prints throughput, added latency, peak RSS of the service, and in the same run the throughput
// of a bare @semtel/otlp decode+encode loop over the same payloads. Needs a build (`npx tsc -b`).
//
//   node test/bench/passthrough.bench.mjs [--duration 15] [--concurrency 8] [--spans 512] [--grpc]
//     [--node-options=--max-semi-space-size=32 ...] [--node-options= (no flags, to compare)]
//
// Each --node-options value starts semtel once more with those Node flags and measures every
// path again, so flags can be compared within one run; without it semtel runs with no flags.
//
// Benchmarks measure; they never assert.
import { Buffer } from 'node:buffer';
import { existsSync } from 'node:fs';
import { connect as http2Connect } from 'node:http2';
import { cpus, totalmem, platform, release } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout } from 'node:timers';
import { parseArgs } from 'node:util';
import { decodeTraces, encodeTraces, grpcExportPaths } from '@semtel/otlp';
import { buildMixedTraces, OtlpSink } from '@semtel/testing';
import { cliPath, closeSenders, freePorts, postProtobuf, startSemtelChild } from './semtel-child.mjs';

// `pnpm bench:… -- --flag` passes the `--` on; it is not an argument.
const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((argument) => argument !== '--'),
  options: {
    duration: { type: 'string', default: '15' },
    'latency-duration': { type: 'string', default: '6' },
    concurrency: { type: 'string', default: '8' },
    spans: { type: 'string', default: '512' },
    'genai-ratio': { type: 'string', default: '0.25' },
    // Both paths by default, as the README reports them; --http-only skips gRPC.
    grpc: { type: 'boolean', default: true },
    'http-only': { type: 'boolean', default: false },
    'node-options': { type: 'string', multiple: true, default: [''] },
  },
});
const durationSeconds = Number(args.duration);
const latencySeconds = Number(args['latency-duration']);
const concurrency = Number(args.concurrency);
const spansPerRequest = Number(args.spans);
const genAiRatio = Number(args['genai-ratio']);
const nodeOptionVariants = args['node-options'].map((options) => options.split(/\s+/).filter(Boolean));

if (!existsSync(cliPath)) {
  console.error(`${cliPath} is missing: run \`npx tsc -b\` first.`);
  process.exit(1);
}

// ---------------------------------------------------------------- payloads
// Distinct payloads, so no layer can benefit from seeing the same bytes twice in a row.
const payloadCount = 16;
const payloads = [];
for (let index = 0; index < payloadCount; index += 1) {
  const traces = buildMixedTraces({ spanCount: spansPerRequest, genAiRatio, variantOffset: index * 10_000 });
  const body = Buffer.from(encodeTraces(traces, 'protobuf'));
  // The first span's trace id is rewritten per send to a unique marker, so the sink can tell
  // exactly when each request's data arrived.
  const firstTraceId = Buffer.from(traces.resourceSpans[0].scopeSpans[0].spans[0].traceId, 'hex');
  const markerOffset = body.indexOf(firstTraceId);
  if (markerOffset < 0) throw new Error('marker trace id not found in the encoded payload');
  payloads.push({ body, markerOffset });
}
const payloadBytes = payloads.reduce((total, payload) => total + payload.body.length, 0) / payloadCount;

let sendSequence = 0;
/** A copy of a payload with a unique marker trace id; returns the body and the marker (hex). */
function nextBody() {
  const payload = payloads[sendSequence % payloadCount];
  sendSequence += 1;
  const body = Buffer.from(payload.body);
  const marker = Buffer.alloc(16);
  marker.writeUInt32BE(0xbe4c0000, 0);
  marker.writeBigUInt64BE(BigInt(sendSequence), 8);
  marker.copy(body, payload.markerOffset);
  return { body, marker: marker.toString('hex') };
}

// ---------------------------------------------------------------- sink with arrival tracking
const pending = new Map(); // marker → send time (performance.now())
let arrivalLatencies = [];
let deliveredSpans = 0;
let lastDeliveryAt = 0;
const sink = await OtlpSink.start({
  retainData: false,
  onAccepted: (request, data) => {
    if (request.signal !== 'traces') return;
    deliveredSpans += request.itemCount;
    lastDeliveryAt = performance.now();
    for (const resourceSpans of data.resourceSpans) {
      for (const scopeSpans of resourceSpans.scopeSpans) {
        const first = scopeSpans.spans[0];
        if (first === undefined) continue;
        const sentAt = pending.get(first.traceId);
        if (sentAt !== undefined) {
          pending.delete(first.traceId);
          arrivalLatencies.push(lastDeliveryAt - sentAt);
        }
      }
    }
  },
});

// ---------------------------------------------------------------- semtel process
async function startSemtel(exporterYaml, exporterName, nodeFlags) {
  const [httpPort, grpcPort, metricsPort] = await freePorts(3);
  const semtel = await startSemtelChild({
    config: `receivers:
  otlp:
    protocols:
      grpc: { endpoint: 127.0.0.1:${grpcPort} }
      http: { endpoint: 127.0.0.1:${httpPort} }
exporters:
${exporterYaml}
service:
  pipelines:
    traces: { receivers: [otlp], exporters: [${exporterName}] }
  telemetry:
    metrics: { address: 127.0.0.1:${metricsPort} }
    logs: { level: warn }
`,
    readyPorts: [httpPort, grpcPort],
    nodeFlags,
  });
  return { ...semtel, httpUrl: `http://127.0.0.1:${httpPort}/v1/traces`, grpcAddress: `127.0.0.1:${grpcPort}` };
}

// ---------------------------------------------------------------- clients
/** Raw gRPC unary call over HTTP/2 (the bench has no grpc-js of its own). */
function grpcSender(address) {
  const session = http2Connect(`http://${address}`);
  session.on('error', () => {});
  return {
    send(body) {
      return new Promise((resolve, reject) => {
        const stream = session.request({
          ':method': 'POST',
          ':path': grpcExportPaths.traces,
          'content-type': 'application/grpc',
          te: 'trailers',
        });
        const frame = Buffer.alloc(5 + body.length);
        frame.writeUInt32BE(body.length, 1);
        body.copy(frame, 5);
        let status = '';
        stream.on('response', (headers) => {
          if (headers['grpc-status'] !== undefined) status = String(headers['grpc-status']);
        });
        stream.on('trailers', (trailers) => (status = String(trailers['grpc-status'])));
        stream.on('data', () => {});
        stream.on('close', () => resolve(status === '0' ? 200 : 503));
        stream.on('error', reject);
        stream.end(frame);
      });
    },
    close: () => session.close(),
  };
}

function percentile(sorted, fraction) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}

/**
 * Runs `concurrency` closed-loop senders for `seconds` (or, with `ratePerSecond`, paces sends
 * open-loop at that rate). Returns request latencies and the count of rejected sends.
 */
async function drive(send, seconds, ratePerSecond) {
  const requestLatencies = [];
  let rejected = 0;
  let sent = 0;
  const startedAt = performance.now();
  const endAt = startedAt + seconds * 1000;
  const interval = ratePerSecond ? 1000 / ratePerSecond : 0;
  let nextSlot = startedAt;
  async function worker() {
    while (performance.now() < endAt) {
      if (interval > 0) {
        const wait = nextSlot - performance.now();
        nextSlot += interval;
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        if (performance.now() >= endAt) break;
      }
      const { body, marker } = nextBody();
      const sendAt = performance.now();
      pending.set(marker, sendAt);
      let status;
      try {
        status = await send(body);
      } catch {
        status = 0;
      }
      if (status === 200) {
        sent += 1;
        requestLatencies.push(performance.now() - sendAt);
      } else {
        // Overload answers are part of the result; back off briefly as an SDK would.
        pending.delete(marker);
        rejected += 1;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { requestLatencies, rejected, sent, startedAt, stoppedAt: performance.now() };
}

async function waitForDelivery(expectedSpans, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  while (deliveredSpans < expectedSpans && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function resetTracking() {
  pending.clear();
  arrivalLatencies = [];
  deliveredSpans = 0;
  lastDeliveryAt = 0;
}

/** Throughput phase (closed loop, saturating) then a latency phase at half that rate. */
async function measurePath(name, send, cpuSecondsOfService) {
  let cpuAfter;
  resetTracking();
  await drive(send, 1); // warm-up: JIT, connections
  await waitForDelivery(Number.POSITIVE_INFINITY, 2000);

  resetTracking();
  const cpuBefore = cpuSecondsOfService?.();
  if (cpuBefore !== undefined) cpuAfter = () => cpuSecondsOfService() - cpuBefore;
  const load = await drive(send, durationSeconds);
  await waitForDelivery(load.sent * spansPerRequest, 60_000);
  const elapsedSeconds = (Math.max(lastDeliveryAt, load.stoppedAt) - load.startedAt) / 1000;
  const spansPerSecond = deliveredSpans / elapsedSeconds;
  const throughputSpans = deliveredSpans;
  const cpuSeconds = cpuAfter !== undefined ? cpuAfter() : undefined;
  const requestsPerSecond = load.sent / ((load.stoppedAt - load.startedAt) / 1000);

  resetTracking();
  const paced = await drive(send, latencySeconds, Math.max(1, requestsPerSecond / 2));
  await waitForDelivery(paced.sent * spansPerRequest, 30_000);
  const arrivals = [...arrivalLatencies].sort((left, right) => left - right);
  const requests = [...paced.requestLatencies].sort((left, right) => left - right);
  return {
    name,
    spansPerSecond,
    deliveredSpans: throughputSpans,
    serviceCores: cpuSeconds === undefined ? undefined : cpuSeconds / elapsedSeconds,
    rejected: load.rejected,
    pacedRate: Math.max(1, requestsPerSecond / 2),
    arrivalP50: percentile(arrivals, 0.5),
    arrivalP99: percentile(arrivals, 0.99),
    requestP50: percentile(requests, 0.5),
    requestP99: percentile(requests, 0.99),
    samples: arrivals.length,
  };
}

// ---------------------------------------------------------------- bare codec loop
function bareLoop(seconds) {
  const startedAt = performance.now();
  const endAt = startedAt + seconds * 1000;
  let spans = 0;
  let index = 0;
  while (performance.now() < endAt) {
    const traces = decodeTraces(payloads[index % payloadCount].body, 'protobuf');
    encodeTraces(traces, 'protobuf');
    spans += spansPerRequest;
    index += 1;
  }
  return spans / ((performance.now() - startedAt) / 1000);
}

// ---------------------------------------------------------------- run
const format = (value, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const cpu = cpus();
console.log('semtel pass-through benchmark');
console.log(
  `machine: ${cpu[0]?.model ?? 'unknown cpu'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ` +
    `${platform()} ${release()}, node ${process.version}`,
);
console.log(
  `workload: ${spansPerRequest} spans/request (${Math.round(genAiRatio * 100)}% ~5 KB GenAI chat spans, rest ~0.6 KB HTTP spans), ` +
    `${(payloadBytes / 1024).toFixed(0)} KiB/request protobuf uncompressed, ${concurrency} concurrent senders, ` +
    `${durationSeconds} s throughput phase, ${latencySeconds} s latency phase at half the measured rate`,
);
console.log('pipeline: otlp receiver → (no processors) → exporter (compression none) → OtlpSink, all on 127.0.0.1');
console.log('');

const bareBefore = bareLoop(5);

// Direct-to-sink baseline: same client, same payloads, no semtel in between.
const direct = await measurePath('direct to sink (baseline)', (body) =>
  postProtobuf(`${sink.httpEndpoint}/v1/traces`, body),
);

const results = [];
for (const nodeFlags of nodeOptionVariants) {
  const flagsLabel = nodeFlags.length === 0 ? '' : ` (node ${nodeFlags.join(' ')})`;
  const httpSemtel = await startSemtel(
    `  otlp_http:\n    endpoint: ${sink.httpEndpoint}\n    compression: none\n`,
    'otlp_http',
    nodeFlags,
  );
  try {
    const result = await measurePath(
      `http/protobuf → semtel → otlp_http${flagsLabel}`,
      (body) => postProtobuf(httpSemtel.httpUrl, body),
      () => httpSemtel.cpuSeconds(),
    );
    result.peakRss = httpSemtel.peakRss();
    results.push(result);
  } finally {
    await httpSemtel.stop();
  }

  if (args.grpc && !args['http-only']) {
    const grpcSemtel = await startSemtel(
      `  otlp_grpc:\n    endpoint: ${sink.grpcEndpoint}\n    tls: { insecure: true }\n    compression: none\n`,
      'otlp_grpc',
      nodeFlags,
    );
    const sender = grpcSender(grpcSemtel.grpcAddress);
    try {
      const result = await measurePath(
        `grpc → semtel → otlp_grpc${flagsLabel}`,
        (body) => sender.send(body),
        () => grpcSemtel.cpuSeconds(),
      );
      result.peakRss = grpcSemtel.peakRss();
      results.push(result);
    } finally {
      sender.close();
      await grpcSemtel.stop();
    }
  }
}

// Shared machines drift; the bare loop runs before and after the service runs and the mean is the reference.
const bareAfter = bareLoop(5);
const bareSpansPerSecond = (bareBefore + bareAfter) / 2;
console.log(
  `bare @semtel/otlp decode+encode loop (one core, same payloads): ${format(bareSpansPerSecond, 0)} spans/s ` +
    `(mean of ${format(bareBefore, 0)} before and ${format(bareAfter, 0)} after the service runs)`,
);
console.log(
  `direct to sink: ${format(direct.spansPerSecond, 0)} spans/s; arrival latency p50 ${format(direct.arrivalP50)} ms, ` +
    `p99 ${format(direct.arrivalP99)} ms (${direct.samples} requests at ${format(direct.pacedRate)} req/s)`,
);
for (const result of results) {
  console.log('');
  console.log(`${result.name}:`);
  console.log(
    `  throughput: ${format(result.spansPerSecond, 0)} spans/s delivered to the sink ` +
      `(${result.deliveredSpans} spans; ${result.rejected} sends rejected by semtel; ` +
      `semtel used ${format(result.serviceCores, 2)} cores on average)`,
  );
  console.log(
    `  added latency (send → arrival at sink, minus direct-to-sink baseline): ` +
      `p50 ${format(result.arrivalP50 - direct.arrivalP50)} ms, p99 ${format(result.arrivalP99 - direct.arrivalP99)} ms ` +
      `(absolute p50 ${format(result.arrivalP50)} ms, p99 ${format(result.arrivalP99)} ms; ` +
      `${result.samples} requests at ${format(result.pacedRate)} req/s)`,
  );
  console.log(
    `  request latency (send → semtel's response): p50 ${format(result.requestP50)} ms, p99 ${format(result.requestP99)} ms`,
  );
  console.log(
    `  peak RSS of the semtel process: ${result.peakRss === undefined ? 'n/a' : `${(result.peakRss / 2 ** 20).toFixed(0)} MiB`}`,
  );
  console.log(
    `  service / bare codec throughput ratio: ${format(result.spansPerSecond / bareSpansPerSecond, 2)} (target ≥ 0.5)`,
  );
}

closeSenders();
await sink.close();
