// Flood test: far more data than semtel can take, with the backend hanging. semtel answers
// retryable errors, its memory stays under memory_limiter's hard limit, and everything it
// acknowledged is delivered once the backend recovers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMixedTraces, OtlpSink } from '@semtel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue, postTraces, residentMib, spanIdsOf } from './support/otlp-http-sender.js';
import type { SemtelProcess } from './support/semtel-process.js';
import { startSemtelProcess } from './support/semtel-process.js';

const floodMs = 12_000;
const senders = 48;
const spansPerRequest = 200;
/**
 * memory_limiter's hard limit is the idle process plus this; its soft limit is `spikeMib` lower.
 * 48 concurrent ~270 KB requests cost about 100-120 MiB above idle before any processor can
 * refuse them (the receiver reads and decodes each body first), so a +60 MiB hard limit is
 * overshot at this intensity with or without the durable queue; 150 leaves that transient room.
 */
const headroomMib = 150;
const spikeMib = 50;

let sink: OtlpSink;
let queueDirectory: string;
const processes: SemtelProcess[] = [];

beforeAll(async () => {
  sink = await OtlpSink.start();
  queueDirectory = mkdtempSync(join(tmpdir(), 'semtel-flood-queue-'));
});

afterAll(async () => {
  await Promise.all(processes.map((process) => process.stop()));
  await sink?.close();
  rmSync(queueDirectory, { recursive: true, force: true });
});

function startSemtel(limitMib: number): Promise<SemtelProcess> {
  return startSemtelProcess({
    // As the container image and the Kubernetes manifests run it: memory_limiter may force a
    // collection, and V8's heap is capped at the soft limit so its checks trigger before V8 gives up.
    env: { NODE_OPTIONS: `--expose-gc --max-old-space-size=${Math.max(64, limitMib - spikeMib)}` },
    processorsYaml: `
      memory_limiter: { check_interval: 100ms, limit_mib: ${limitMib}, spike_limit_mib: ${spikeMib}, retry_after: 1s }
      durable_queue:
        directory: ${queueDirectory}
        max_size_mib: 16
        max_in_flight: 16
        retry_after: 1s
        retry: { initial_interval: 200ms, max_interval: 1s }
    `,
    exportersYaml: `
      otlp_http:
        endpoint: ${sink.httpEndpoint}
        compression: none
        timeout: 1s
        sending_queue: { enabled: false }
        retry_on_failure: { initial_interval: 100ms, max_interval: 500ms, max_elapsed_time: 2s }
    `,
    pipelinesYaml: `
      traces: { receivers: [otlp], processors: [memory_limiter, durable_queue], exporters: [otlp_http] }
    `,
  });
}

/** RSS of a freshly started, idle semtel with the same configuration. */
async function idleResidentMib(): Promise<number> {
  const probe = await startSemtel(100_000);
  try {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const rss = residentMib(probe.child.pid as number);
    if (rss === undefined) throw new Error(`could not read the RSS of semtel:\n${probe.output()}`);
    return rss;
  } finally {
    await probe.stop();
  }
}

describe('flood with a hanging backend', () => {
  it('refuses with retryable errors, stays under the hard memory limit, and delivers everything it acknowledged', async () => {
    const hardLimitMib = Math.ceil((await idleResidentMib()) + headroomMib);
    const semtel = await startSemtel(hardLimitMib);
    processes.push(semtel);
    const pid = semtel.child.pid as number;
    sink.injectFault({ kind: 'hang' });

    let peakRssMib = 0;
    const sampler = setInterval(() => {
      peakRssMib = Math.max(peakRssMib, residentMib(pid) ?? 0);
    }, 50);

    const acknowledged = new Set<string>();
    const refusals = new Map<number, number>();
    let refusalsWithoutRetryAfter = 0;
    let sequence = 0;
    const endAt = Date.now() + floodMs;
    const sender = async (): Promise<void> => {
      while (Date.now() < endAt) {
        const traces = buildMixedTraces({ spanCount: spansPerRequest, genAiRatio: 0.25, variantOffset: sequence++ });
        const result = await postTraces(semtel.httpEndpoint, traces, 20_000);
        if (result.status === 200) {
          for (const spanId of spanIdsOf(traces)) acknowledged.add(spanId);
          continue;
        }
        refusals.set(result.status, (refusals.get(result.status) ?? 0) + 1);
        if (result.retryAfter === undefined) refusalsWithoutRetryAfter += 1;
        // Far less patient than Retry-After asks: the point is to keep offering more.
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    try {
      await Promise.all(Array.from({ length: senders }, sender));
    } finally {
      clearInterval(sampler);
    }
    const refused = [...refusals.values()].reduce((sum, count) => sum + count, 0);
    const limiterRefusedSpans = await metricValue(
      semtel.metricsAddress,
      'otelcol_processor_memory_limiter_refused_spans_total',
    );
    const queueRefusedSpans = await metricValue(semtel.metricsAddress, 'semtel_durable_queue_refused_spans_total');
    console.log(
      `flood: ${sequence} requests offered in ${floodMs / 1000} s, ${acknowledged.size / spansPerRequest} acknowledged, ` +
        `refused by status ${JSON.stringify(Object.fromEntries(refusals))} ` +
        `(spans refused by memory_limiter ${limiterRefusedSpans}, by the full durable queue ${queueRefusedSpans}); peak RSS ${peakRssMib.toFixed(0)} MiB ` +
        `against a hard limit of ${hardLimitMib} MiB`,
    );

    expect(acknowledged.size, semtel.output()).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(acknowledged.size / spansPerRequest);
    // Only retryable answers, each saying when to come back.
    expect([...refusals.keys()].filter((status) => status !== 503 && status !== 429)).toEqual([]);
    expect(refusalsWithoutRetryAfter).toBe(0);
    expect(peakRssMib).toBeGreaterThan(0);
    expect(peakRssMib).toBeLessThan(hardLimitMib);

    sink.clearFaults();
    sink.releaseHungRequests();
    await sink.waitForSpans(acknowledged.size, 30_000);
    const delivered = new Set(sink.spans().map((entry) => entry.span.spanId));
    const missing = [...acknowledged].filter((spanId) => !delivered.has(spanId));
    console.log(
      `flood: ${acknowledged.size} acknowledged spans, ${delivered.size} distinct delivered after recovery, ` +
        `${missing.length} missing, ${sink.spanCount - delivered.size} duplicates`,
    );
    expect(missing).toEqual([]);
  }, 60_000);
});
