// Downstream outage: the backend is down for longer than the exporter's retry window; the data
// waits on disk in the durable queue and is delivered once the backend is back. A SIGTERM during
// the outage exits cleanly and the next start delivers; one just after recovery drains first.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMixedTraces, OtlpSink } from '@semtel/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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

describe('SIGTERM during a downstream outage', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function outageFixture() {
    const outageSink = await OtlpSink.start();
    const directory = mkdtempSync(join(tmpdir(), 'semtel-sigterm-queue-'));
    cleanups.push(async () => {
      await outageSink.close();
      rmSync(directory, { recursive: true, force: true });
    });
    const start = async (): Promise<SemtelProcess> => {
      const process = await startSemtelProcess({
        processorsYaml: `
          durable_queue:
            directory: ${directory}
            retry: { initial_interval: 200ms, max_interval: 500ms }
            shutdown_wait: 5s
        `,
        exportersYaml: `
          otlp_http:
            endpoint: ${outageSink.httpEndpoint}
            compression: none
            sending_queue: { enabled: false }
            retry_on_failure: { initial_interval: 100ms, max_interval: 200ms, max_elapsed_time: 1s }
        `,
        pipelinesYaml: `
          traces: { receivers: [otlp], processors: [durable_queue], exporters: [otlp_http] }
        `,
      });
      cleanups.push(async () => {
        await process.stop();
      });
      return process;
    };
    return { sink: outageSink, start };
  }

  async function sendDuringOutage(semtel: SemtelProcess, outageSink: OtlpSink): Promise<Set<string>> {
    outageSink.injectFault({ kind: 'unavailable' });
    const acknowledged = new Set<string>();
    for (let index = 0; index < 10; index++) {
      const traces = buildMixedTraces({ spanCount: spansPerBatch, genAiRatio: 0.1, variantOffset: index * 1000 });
      const result = await postTraces(semtel.httpEndpoint, traces);
      expect(result.status, semtel.output()).toBe(200);
      for (const spanId of spanIdsOf(traces)) acknowledged.add(spanId);
    }
    await expect
      .poll(() => metricValue(semtel.metricsAddress, 'semtel_durable_queue_delivery_failed_spans_total'), {
        timeout: 15_000,
      })
      .toBeGreaterThan(0);
    return acknowledged;
  }

  it('exits cleanly with the data on disk, and the next start delivers it', async () => {
    const { sink: outageSink, start } = await outageFixture();
    const first = await start();
    const acknowledged = await sendDuringOutage(first, outageSink);

    // The drain keeps trying for shutdown_wait, the backend stays down, and semtel still exits 0.
    expect(await first.stop(20_000)).toBe(0);
    expect(outageSink.spanCount).toBe(0);

    outageSink.clearFaults();
    const second = await start();
    await outageSink.waitForSpans(acknowledged.size, 20_000);
    const delivered = outageSink.spans().map((entry) => entry.span.spanId);
    expect(new Set(delivered)).toEqual(acknowledged);
    expect(delivered).toHaveLength(acknowledged.size);
    await expect
      .poll(() => metricValue(second.metricsAddress, 'semtel_durable_queue_size', { data_type: 'traces' }), {
        timeout: 10_000,
      })
      .toBe(0);
  }, 60_000);

  it('drains what is stored before exiting when the backend is back by then', async () => {
    const { sink: outageSink, start } = await outageFixture();
    const semtel = await start();
    const acknowledged = await sendDuringOutage(semtel, outageSink);

    // The backend recovers as the shutdown begins: the drain delivers everything within shutdown_wait.
    outageSink.clearFaults();
    expect(await semtel.stop(20_000)).toBe(0);
    const delivered = outageSink.spans().map((entry) => entry.span.spanId);
    expect(new Set(delivered)).toEqual(acknowledged);
    expect(delivered).toHaveLength(acknowledged.size);
  }, 60_000);
});

describe('a full disk under the durable queue', () => {
  it('refuses with a retryable error, logs the real cause once, raises no unhandled rejection, and delivers what it acknowledged', async () => {
    const diskSink = await OtlpSink.start();
    const directory = mkdtempSync(join(tmpdir(), 'semtel-full-disk-queue-'));
    // The store may not grow past 2 MiB: writes beyond fail as on a full disk.
    const semtel = await startSemtelProcess({
      fileSizeLimitKiB: 2048,
      processorsYaml: `
        durable_queue:
          directory: ${directory}
          max_size_mib: 64
          retry: { initial_interval: 200ms, max_interval: 500ms }
      `,
      exportersYaml: `
        otlp_http:
          endpoint: ${diskSink.httpEndpoint}
          compression: none
          sending_queue: { enabled: false }
          retry_on_failure: { initial_interval: 100ms, max_interval: 200ms, max_elapsed_time: 1s }
      `,
      pipelinesYaml: `
        traces: { receivers: [otlp], processors: [durable_queue], exporters: [otlp_http] }
      `,
    });
    try {
      // Nothing is delivered, so nothing is deleted: the store grows until the disk is "full".
      diskSink.injectFault({ kind: 'unavailable' });
      const acknowledged = new Set<string>();
      let refusal: { status: number; retryAfter: string | undefined } | undefined;
      for (let index = 0; index < 400 && refusal === undefined; index++) {
        const traces = buildMixedTraces({ spanCount: spansPerBatch, genAiRatio: 0.1, variantOffset: index * 1000 });
        const result = await postTraces(semtel.httpEndpoint, traces);
        if (result.status === 200) for (const spanId of spanIdsOf(traces)) acknowledged.add(spanId);
        else refusal = result;
      }
      console.log(
        `full disk: ${acknowledged.size / spansPerBatch} requests stored before the refusal ${JSON.stringify(refusal)}`,
      );
      expect(refusal, semtel.output()).toMatchObject({ status: 503, retryAfter: expect.stringMatching(/^\d+$/) });
      expect(acknowledged.size).toBeGreaterThan(0);
      for (let attempt = 0; attempt < 3; attempt++) {
        const traces = buildMixedTraces({
          spanCount: spansPerBatch,
          genAiRatio: 0.1,
          variantOffset: 900_000 + attempt,
        });
        expect((await postTraces(semtel.httpEndpoint, traces)).status).toBe(503);
      }

      const output = semtel.output();
      const logged = output.split('\n').filter((line) => line.includes('durable queue cannot write to its store'));
      // Once per outage, with what LMDB said, not lmdb-js's "see commitError for details".
      expect(logged, output).toHaveLength(1);
      console.log(`full disk: logged ${logged[0]}`);
      expect(logged[0]).toMatch(/commit failed: .*(Input\/output error|File too large|No space left on device)/);
      expect(output).not.toMatch(/unhandled promise rejection/);
      expect(semtel.child.exitCode).toBeNull();

      // Once the backend is back, everything acknowledged goes out.
      diskSink.clearFaults();
      await diskSink.waitForSpans(acknowledged.size, 30_000);
      const delivered = new Set(diskSink.spans().map((entry) => entry.span.spanId));
      expect([...acknowledged].filter((spanId) => !delivered.has(spanId))).toEqual([]);
    } finally {
      await semtel.stop();
      await diskSink.close();
      rmSync(directory, { recursive: true, force: true });
    }
  }, 90_000);
});
