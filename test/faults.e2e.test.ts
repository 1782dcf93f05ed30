/**
 * The backend fails (503 / UNAVAILABLE, Retry-After, hangs) and recovers; semtel must deliver
 * everything, and since no response is ever lost here, deliver each span exactly once.
 */
import { encodeLogs, encodeTraces } from '@semtel/otlp';
import { buildLogRecord, buildLogs, buildMixedTraces, OtlpSink } from '@semtel/testing';
import type { SinkRequest } from '@semtel/testing';
import { countSpans } from '@semtel/pdata';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { metricValue } from './support/otlp-http-sender.js';
import type { SemtelProcess } from './support/semtel-process.js';
import { startSemtelProcess } from './support/semtel-process.js';

const deliveryTimeoutMs = 25_000;

async function send(semtel: SemtelProcess, path: string, body: Uint8Array): Promise<void> {
  const response = await fetch(`${semtel.httpEndpoint}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-protobuf' },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  expect(response.status, await response.clone().text()).toBe(200);
  await response.arrayBuffer();
}

/** Sends `requests` batches of `spansPerRequest` mixed spans; returns every span id sent. */
async function sendTraces(semtel: SemtelProcess, requests: number, spansPerRequest: number): Promise<string[]> {
  const ids: string[] = [];
  for (let index = 0; index < requests; index += 1) {
    const traces = buildMixedTraces({ spanCount: spansPerRequest, genAiRatio: 0.25, variantOffset: index * 1000 });
    for (const resourceSpans of traces.resourceSpans) {
      for (const scopeSpans of resourceSpans.scopeSpans) ids.push(...scopeSpans.spans.map((span) => span.spanId));
    }
    expect(countSpans(traces)).toBe(spansPerRequest);
    await send(semtel, '/v1/traces', encodeTraces(traces, 'protobuf'));
  }
  return ids;
}

function deliveriesPerSpan(sink: OtlpSink): Map<string, number> {
  const counts = new Map<string, number>();
  for (const entry of sink.spans()) counts.set(entry.span.spanId, (counts.get(entry.span.spanId) ?? 0) + 1);
  return counts;
}

function expectEachDeliveredOnce(sink: OtlpSink, ids: string[]): void {
  const counts = deliveriesPerSpan(sink);
  const missing = ids.filter((id) => !counts.has(id));
  const duplicated = [...counts].filter(([, count]) => count > 1);
  expect(missing).toEqual([]);
  expect(duplicated).toEqual([]);
  expect(counts.size).toBe(ids.length);
}

const failed = (request: SinkRequest): boolean => request.outcome !== 'accepted';

describe.each([
  {
    exporter: 'otlp_http',
    yaml: (backend: OtlpSink) => `
      otlp_http:
        endpoint: ${backend.httpEndpoint}
        timeout: 1s
        retry_on_failure: { initial_interval: 100ms, max_interval: 400ms, max_elapsed_time: 30s }`,
  },
  {
    exporter: 'otlp_grpc',
    yaml: (backend: OtlpSink) => `
      otlp_grpc:
        endpoint: ${backend.grpcEndpoint}
        tls: { insecure: true }
        timeout: 1s
        retry_on_failure: { initial_interval: 100ms, max_interval: 400ms, max_elapsed_time: 30s }`,
  },
])('semtel delivers through backend failures with the $exporter exporter', ({ exporter, yaml }) => {
  let backend: OtlpSink;
  let semtel: SemtelProcess;

  beforeAll(async () => {
    backend = await OtlpSink.start();
    semtel = await startSemtelProcess({
      exportersYaml: yaml(backend),
      pipelinesYaml: `
        traces: { receivers: [otlp], exporters: [${exporter}] }
        logs: { receivers: [otlp], exporters: [${exporter}] }`,
    });
  });

  afterAll(async () => {
    await semtel?.stop();
    await backend?.close();
  });

  beforeEach(async () => {
    // Each test starts from a quiet backend: nothing in flight from the previous one.
    backend.clearFaults();
    backend.releaseHungRequests();
    backend.reset();
  });

  it('retries through a window of 503 / UNAVAILABLE and delivers every span exactly once', async () => {
    backend.injectFault({ kind: 'unavailable' }, { durationMs: 1500 });
    const ids = await sendTraces(semtel, 10, 100);
    await backend.waitForSpans(ids.length, deliveryTimeoutMs).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${semtel.output()}`);
    });
    expect(backend.requests.filter(failed).length).toBeGreaterThan(0);
    expectEachDeliveredOnce(backend, ids);
    expect(backend.spanCount).toBe(ids.length);
  });

  it('honours Retry-After / RetryInfo for traces and logs, then delivers once', async () => {
    backend.injectFault({ kind: 'unavailable', retryAfterSeconds: 1 }, { count: 3 });
    const ids = await sendTraces(semtel, 2, 50);
    const logs = buildLogs(Array.from({ length: 30 }, (_, index) => buildLogRecord({ body: `record ${index}` })));
    await send(semtel, '/v1/logs', encodeLogs(logs, 'protobuf'));

    await backend.waitForSpans(ids.length, deliveryTimeoutMs);
    const records = await backend.waitForLogRecords(30, deliveryTimeoutMs);
    expect(backend.requests.filter(failed)).toHaveLength(3);
    expectEachDeliveredOnce(backend, ids);
    expect(records.map((entry) => entry.logRecord.body).sort()).toEqual(
      Array.from({ length: 30 }, (_, index) => `record ${index}`).sort(),
    );
  });

  it('times out a hung backend request, retries, and delivers once', async () => {
    backend.injectFault({ kind: 'hang' }, { count: 2 });
    const ids = await sendTraces(semtel, 3, 40);
    await backend.waitForSpans(ids.length, deliveryTimeoutMs);
    expect(backend.requests.filter((request) => request.outcome === 'hang')).toHaveLength(2);
    expectEachDeliveredOnce(backend, ids);
  });

  it('recovers from a long outage with a rising retry backlog', async () => {
    backend.injectFault({ kind: 'unavailable' }, { durationMs: 3000 });
    const ids = await sendTraces(semtel, 30, 64);
    await backend.waitForSpans(ids.length, deliveryTimeoutMs);
    expectEachDeliveredOnce(backend, ids);
  });
});

describe('semtel bounds its sending queue in bytes through a backend outage', () => {
  let backend: OtlpSink;
  let semtel: SemtelProcess;
  const mebibyte = 1024 * 1024;

  beforeAll(async () => {
    backend = await OtlpSink.start();
    semtel = await startSemtelProcess({
      // Uncompressed, so the bytes the queue holds are the protobuf bodies' own size.
      exportersYaml: `
        otlp_http:
          endpoint: ${backend.httpEndpoint}
          compression: none
          timeout: 1s
          sending_queue: { num_consumers: 1, max_size_mib: 1 }
          retry_on_failure: { initial_interval: 100ms, max_interval: 200ms, max_elapsed_time: 60s }`,
      pipelinesYaml: `
        traces: { receivers: [otlp], exporters: [otlp_http] }`,
    });
  });

  afterAll(async () => {
    await semtel?.stop();
    await backend?.close();
  });

  it('refuses with 429 + Retry-After once 1 MiB is held, and delivers everything once the sender retries', async () => {
    backend.injectFault({ kind: 'unavailable' });
    const post = (body: Uint8Array) =>
      fetch(`${semtel.httpEndpoint}/v1/traces`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-protobuf' },
        body,
        signal: AbortSignal.timeout(10_000),
      });
    // About 340 KB each: the queue holds three at most, whatever its queue_size (1000 requests).
    const batches = Array.from({ length: 8 }, (_, index) =>
      buildMixedTraces({ spanCount: 120, genAiRatio: 0.5, variantOffset: 50_000 + index * 1000 }),
    );
    const ids = batches.flatMap((traces) =>
      traces.resourceSpans.flatMap((resource) =>
        resource.scopeSpans.flatMap((scope) => scope.spans.map((span) => span.spanId)),
      ),
    );
    const refused: Uint8Array[] = [];
    for (const traces of batches) {
      const body = encodeTraces(traces, 'protobuf');
      const response = await post(body);
      await response.arrayBuffer();
      if (response.status === 200) continue;
      expect(response.status).toBe(429);
      expect(response.headers.get('retry-after')).toBe('1');
      refused.push(body);
    }
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.length).toBeLessThan(batches.length);
    const capacity = await metricValue(semtel.metricsAddress, 'semtel_exporter_queue_bytes_capacity', {
      data_type: 'traces',
    });
    expect(capacity).toBe(mebibyte);
    const held = await metricValue(semtel.metricsAddress, 'semtel_exporter_queue_bytes', { data_type: 'traces' });
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThanOrEqual(mebibyte);

    // The outage ends; the sender retries what was refused, as an SDK does after Retry-After.
    backend.clearFaults();
    for (const body of refused) {
      let status = 0;
      for (let attempt = 0; attempt < 100 && status !== 200; attempt += 1) {
        const response = await post(body);
        await response.arrayBuffer();
        status = response.status;
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(status).toBe(200);
    }
    await backend.waitForSpans(ids.length, deliveryTimeoutMs);
    expectEachDeliveredOnce(backend, ids);
  });
});
