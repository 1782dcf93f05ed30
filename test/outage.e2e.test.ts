// Downstream outage: the backend is down for longer than the exporter's retry window; the data
// waits on disk in the durable queue and is delivered once the backend is back.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMixedTraces, OtlpSink } from '@semtel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue, postTraces, spanIdsOf } from './support/otlp-http-sender.js';
import type { SemtelProcess } from './support/semtel-process.js';
import { startSemtelProcess } from './support/semtel-process.js';

const batches = 20;
const spansPerBatch = 40;

let sink: OtlpSink;
let semtel: SemtelProcess;
let queueDirectory: string;

beforeAll(async () => {
  sink = await OtlpSink.start();
  queueDirectory = mkdtempSync(join(tmpdir(), 'semtel-outage-queue-'));
  semtel = await startSemtelProcess({
    processorsYaml: `
      durable_queue:
        directory: ${queueDirectory}
        retry: { initial_interval: 300ms, max_interval: 1s }
    `,
    exportersYaml: `
      otlp_http:
        endpoint: ${sink.httpEndpoint}
        compression: none
        sending_queue: { enabled: false }
        # The exporter gives up after about a second: far shorter than the outage.
        retry_on_failure: { initial_interval: 100ms, max_interval: 200ms, max_elapsed_time: 1s }
    `,
    pipelinesYaml: `
      traces: { receivers: [otlp], processors: [durable_queue], exporters: [otlp_http] }
    `,
  });
});

afterAll(async () => {
  await semtel?.stop();
  await sink?.close();
  rmSync(queueDirectory, { recursive: true, force: true });
});

describe('downstream outage longer than the exporter retry window', () => {
  it('keeps the data on disk through the outage and delivers it, once each, after recovery', async () => {
    sink.injectFault({ kind: 'unavailable' });
    const acknowledged = new Set<string>();
    for (let index = 0; index < batches; index++) {
      const traces = buildMixedTraces({ spanCount: spansPerBatch, genAiRatio: 0.1, variantOffset: index * 1000 });
      const result = await postTraces(semtel.httpEndpoint, traces);
      expect(result.status, semtel.output()).toBe(200);
      for (const spanId of spanIdsOf(traces)) acknowledged.add(spanId);
    }

    // The exporter's own retries run out (its failures are counted) while every request is still stored.
    await expect
      .poll(() => metricValue(semtel.metricsAddress, 'otelcol_exporter_send_failed_spans_total'), { timeout: 15_000 })
      .toBeGreaterThan(0);
    await expect
      .poll(() => metricValue(semtel.metricsAddress, 'semtel_durable_queue_delivery_failed_spans_total'), {
        timeout: 15_000,
      })
      .toBeGreaterThan(0);
    // Well past the exporter's 1 s window, nothing has been delivered and nothing has been dropped.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(sink.spanCount).toBe(0);
    expect(await metricValue(semtel.metricsAddress, 'semtel_durable_queue_size', { data_type: 'traces' })).toBe(
      batches,
    );
    expect(await metricValue(semtel.metricsAddress, 'semtel_durable_queue_dropped_spans_total')).toBe(0);

    sink.clearFaults();
    await sink.waitForSpans(acknowledged.size, 20_000);
    const delivered = sink.spans().map((entry) => entry.span.spanId);
    expect(new Set(delivered)).toEqual(acknowledged);
    // The backend accepted nothing during the outage, so nothing is delivered twice.
    expect(delivered).toHaveLength(acknowledged.size);
    await expect
      .poll(() => metricValue(semtel.metricsAddress, 'semtel_durable_queue_size', { data_type: 'traces' }), {
        timeout: 10_000,
      })
      .toBe(0);
  }, 60_000);
});
