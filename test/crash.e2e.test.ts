// Crash test: every span semtel acknowledged survives kill -9 while exports are blocked.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMixedTraces, OtlpSink } from '@semtel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue, postTraces, spanIdsOf } from './support/otlp-http-sender.js';
import type { SemtelProcess } from './support/semtel-process.js';
import { startSemtelProcess } from './support/semtel-process.js';

const batches = 40;
const spansPerBatch = 50;
const concurrentSenders = 8;

let sink: OtlpSink;
let queueDirectory: string;
const processes: SemtelProcess[] = [];

beforeAll(async () => {
  sink = await OtlpSink.start();
  queueDirectory = mkdtempSync(join(tmpdir(), 'semtel-crash-queue-'));
});

afterAll(async () => {
  await Promise.all(processes.map((process) => process.stop()));
  await sink?.close();
  rmSync(queueDirectory, { recursive: true, force: true });
});

function startSemtel(): Promise<SemtelProcess> {
  return startSemtelProcess({
    processorsYaml: `
      memory_limiter: { check_interval: 200ms }
      durable_queue:
        directory: ${queueDirectory}
        fsync: batch
        retry: { initial_interval: 200ms, max_interval: 1s }
      semantic: { wait_for_release: true, max_hold: 5s, batch: { max_wait: 100ms } }
    `,
    exportersYaml: `
      otlp_http:
        endpoint: ${sink.httpEndpoint}
        compression: none
        sending_queue: { enabled: false }
        retry_on_failure: { initial_interval: 100ms, max_interval: 500ms, max_elapsed_time: 2s }
    `,
    pipelinesYaml: `
      traces: { receivers: [otlp], processors: [memory_limiter, durable_queue, semantic], exporters: [otlp_http] }
    `,
  });
}

describe('kill -9 with the durable queue on', () => {
  it('delivers every acknowledged span after a restart, with no duplicate while exports were blocked', async () => {
    // The backend refuses everything until the crash: nothing can have been delivered before it.
    sink.injectFault({ kind: 'unavailable' });
    const first = await startSemtel();
    processes.push(first);

    const acknowledged = new Set<string>();
    const statuses: number[] = [];
    let nextBatch = 0;
    const sender = async (): Promise<void> => {
      while (nextBatch < batches) {
        const index = nextBatch++;
        // Mixed traffic: 10 % GenAI chat spans, which the semantic processor holds and classifies.
        const traces = buildMixedTraces({ spanCount: spansPerBatch, genAiRatio: 0.1, variantOffset: index * 1000 });
        const result = await postTraces(first.httpEndpoint, traces);
        statuses.push(result.status);
        if (result.status === 200) for (const spanId of spanIdsOf(traces)) acknowledged.add(spanId);
      }
    };
    await Promise.all(Array.from({ length: concurrentSenders }, sender));
    expect(
      statuses.filter((status) => status !== 200),
      first.output(),
    ).toEqual([]);
    expect(acknowledged.size).toBe(batches * spansPerBatch);

    // Exports were attempted and refused: the data is in flight or waiting on disk, not delivered.
    await sink.waitForRequests(1, 10_000, (request) => request.outcome === 'unavailable');
    expect(sink.spanCount).toBe(0);
    expect(
      await metricValue(first.metricsAddress, 'semtel_durable_queue_size', { data_type: 'traces' }),
    ).toBeGreaterThan(0);

    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    expect(first.child.signalCode).toBe('SIGKILL');

    sink.clearFaults();
    const second = await startSemtel();
    processes.push(second);
    await sink.waitForSpans(acknowledged.size, 30_000);

    const delivered = sink.spans().map((entry) => entry.span.spanId);
    const distinct = new Set(delivered);
    const missing = [...acknowledged].filter((spanId) => !distinct.has(spanId));
    const duplicates = delivered.length - distinct.size;
    console.log(
      `crash test: ${acknowledged.size} spans acknowledged before kill -9, ${distinct.size} distinct delivered after the restart, ` +
        `${missing.length} missing, ${duplicates} duplicates`,
    );
    expect(missing).toEqual([]);
    // No export had succeeded before the kill, so a duplicate would mean a span was stored twice.
    expect(duplicates).toBe(0);
    await expect
      .poll(() => metricValue(second.metricsAddress, 'semtel_durable_queue_size', { data_type: 'traces' }), {
        timeout: 10_000,
      })
      .toBe(0);
  }, 60_000);
});
