import type { Counter, Labels, Meter, TelemetrySettings } from '@semtel/component';
import { noopLogger, parseComponentId, RetryableError } from '@semtel/component';
import type { Logs, Metrics, Traces } from '@semtel/pdata';
import { createLogRecord, createResource, createScope, createSpan } from '@semtel/pdata';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeMemoryReader } from './fake-memory-reader.js';
import {
  createMemoryLimiterProcessorFactory,
  memoryLimiterProcessorFactory,
} from './memory-limiter-processor-factory.js';
import type { MemoryLimiterProcessor } from './memory-limiter-processor.js';
import { processMemoryReader } from './memory-reader.js';

/** Keeps counter totals and gauge callbacks by name, for assertions. */
class RecordingMeter implements Meter {
  readonly totals = new Map<string, number>();
  readonly observers = new Map<string, (observe: (value: number, labels?: Labels) => void) => void>();
  counter(name: string): Counter {
    return { add: (value) => this.totals.set(name, (this.totals.get(name) ?? 0) + value) };
  }
  gauge() {
    return { set: () => {} };
  }
  observableGauge(
    name: string,
    _help: string,
    _labels: readonly string[],
    callback: (observe: (value: number, labels?: Labels) => void) => void,
  ): void {
    this.observers.set(name, callback);
  }
  histogram() {
    return { record: () => {} };
  }
  observe(name: string): { value: number; labels: Labels | undefined }[] {
    const values: { value: number; labels: Labels | undefined }[] = [];
    this.observers.get(name)?.((value, labels) => values.push({ value, labels }));
    return values;
  }
}

function traces(spanCount: number): Traces {
  const spans = Array.from({ length: spanCount }, (_, index) =>
    createSpan({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: `b7ad6b71692033${String(index).padStart(2, '0')}`,
      name: 'work',
    }),
  );
  return {
    resourceSpans: [
      { resource: createResource(), schemaUrl: '', scopeSpans: [{ scope: createScope(), spans, schemaUrl: '' }] },
    ],
  };
}

function logs(recordCount: number): Logs {
  const logRecords = Array.from({ length: recordCount }, () => createLogRecord({}));
  return {
    resourceLogs: [
      { resource: createResource(), schemaUrl: '', scopeLogs: [{ scope: createScope(), logRecords, schemaUrl: '' }] },
    ],
  };
}

const metrics: Metrics = { resourceMetrics: [], dataPointCount: 7 };

interface Harness {
  processor: MemoryLimiterProcessor;
  reader: FakeMemoryReader;
  meter: RecordingMeter;
  received: { traces: Traces[]; logs: Logs[]; metrics: Metrics[] };
}

const started: { shutdown(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((processor) => processor.shutdown()));
});

async function harness(config: Record<string, unknown> = { limit_mib: 1, spike_limit_mib: 0.25 }): Promise<Harness> {
  const reader = new FakeMemoryReader();
  reader.heapLimit = 1024 * 1024;
  const meter = new RecordingMeter();
  const telemetry: TelemetrySettings = { logger: noopLogger, meter };
  const factory = createMemoryLimiterProcessorFactory({ reader });
  const received: Harness['received'] = { traces: [], logs: [], metrics: [] };
  const processor = factory.create(
    { id: parseComponentId('memory_limiter/test'), telemetry },
    factory.configSchema.parse(config),
    {
      traces: { consumeTraces: async (data) => void received.traces.push(data) },
      logs: { consumeLogs: async (data) => void received.logs.push(data) },
      metrics: { consumeMetrics: async (data) => void received.metrics.push(data) },
    },
  ) as MemoryLimiterProcessor;
  started.push(processor);
  await processor.start({ reportFatalError: () => {} });
  return { processor, reader, meter, received };
}

describe('MemoryLimiterProcessor', () => {
  it('passes every signal on while memory is low and counts what it accepted', async () => {
    const { processor, meter, received } = await harness();
    await processor.consumeTraces(traces(3));
    await processor.consumeLogs(logs(2));
    await processor.consumeMetrics(metrics);
    expect(received.traces).toHaveLength(1);
    expect(received.logs).toHaveLength(1);
    expect(received.metrics).toEqual([metrics]);
    expect(Object.fromEntries(meter.totals)).toEqual({
      otelcol_processor_memory_limiter_accepted_spans: 3,
      otelcol_processor_memory_limiter_accepted_log_records: 2,
      otelcol_processor_memory_limiter_accepted_metric_points: 7,
    });
  });

  it('refuses with a retryable, non-throttled error above the soft limit and counts what it refused', async () => {
    vi.useFakeTimers();
    try {
      const { processor, reader, meter, received } = await harness({
        limit_mib: 1,
        spike_limit_mib: 0.25,
        retry_after: '3s',
      });
      reader.usage = { residentBytes: 0.8 * 1024 * 1024, heapUsedBytes: 0 };
      // Memory is sampled on the check interval, not per request.
      await processor.consumeTraces(traces(1));
      vi.advanceTimersByTime(1000);

      const refusal = (await processor.consumeTraces(traces(4)).catch((error: unknown) => error)) as RetryableError;
      expect(refusal).toBeInstanceOf(RetryableError);
      expect(refusal.message).toBe('data refused due to high memory usage');
      expect(refusal.retryAfterMs).toBe(3000);
      expect(refusal.throttled).toBe(false);
      await expect(processor.consumeLogs(logs(1))).rejects.toBeInstanceOf(RetryableError);
      await expect(processor.consumeMetrics(metrics)).rejects.toBeInstanceOf(RetryableError);
      expect(received.traces).toHaveLength(1);
      expect(meter.totals.get('otelcol_processor_memory_limiter_refused_spans')).toBe(4);
      expect(meter.totals.get('otelcol_processor_memory_limiter_refused_log_records')).toBe(1);
      expect(meter.totals.get('otelcol_processor_memory_limiter_refused_metric_points')).toBe(7);
      expect(meter.observe('semtel_memory_limiter_refusing')).toEqual([
        { value: 1, labels: { processor: 'memory_limiter/test' } },
      ]);
      expect(meter.observe('semtel_memory_limiter_usage_bytes')).toContainEqual({
        value: 0.8 * 1024 * 1024,
        labels: { processor: 'memory_limiter/test', memory: 'resident' },
      });

      reader.usage = { residentBytes: 0.5 * 1024 * 1024, heapUsedBytes: 0 };
      vi.advanceTimersByTime(1000);
      await processor.consumeTraces(traces(2));
      expect(received.traces).toHaveLength(2);
      expect(meter.totals.get('otelcol_processor_memory_limiter_accepted_spans')).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it('passes downstream errors through unchanged', async () => {
    const reader = new FakeMemoryReader();
    const factory = createMemoryLimiterProcessorFactory({ reader });
    const failure = new Error('exporter down');
    const processor = factory.create(
      { id: parseComponentId('memory_limiter'), telemetry: { logger: noopLogger, meter: new RecordingMeter() } },
      factory.configSchema.parse({}),
      { traces: { consumeTraces: async () => Promise.reject(failure) } },
    );
    started.push(processor);
    await processor.start({ reportFatalError: () => {} });
    await expect(processor.consumeTraces?.(traces(1))).rejects.toBe(failure);
    await expect(processor.consumeLogs?.(logs(1))).rejects.toThrow(/no logs pipeline/);
  });

  it('reads the real process memory with the default reader', async () => {
    const usage = processMemoryReader.read();
    expect(usage.residentBytes).toBeGreaterThan(0);
    expect(usage.heapUsedBytes).toBeGreaterThan(0);
    expect(processMemoryReader.availableBytes()).toBeGreaterThan(0);
    expect(processMemoryReader.heapLimitBytes()).toBeGreaterThan(usage.heapUsedBytes);

    const meter = new RecordingMeter();
    const roomy = memoryLimiterProcessorFactory.create(
      { id: parseComponentId('memory_limiter'), telemetry: { logger: noopLogger, meter } },
      memoryLimiterProcessorFactory.configSchema.parse({ limit_mib: 1024 * 1024 }),
      { traces: { consumeTraces: async () => {} } },
    );
    started.push(roomy);
    await roomy.start({ reportFatalError: () => {} });
    await expect(roomy.consumeTraces?.(traces(1))).resolves.toBeUndefined();
    const resident = meter
      .observe('semtel_memory_limiter_usage_bytes')
      .find((each) => each.labels?.memory === 'resident');
    expect(resident?.value).toBeGreaterThan(0);

    // A limit far below what this process already uses refuses from the first check on.
    const tight = memoryLimiterProcessorFactory.create(
      { id: parseComponentId('memory_limiter/tight'), telemetry: { logger: noopLogger, meter: new RecordingMeter() } },
      memoryLimiterProcessorFactory.configSchema.parse({ limit_mib: 1 }),
      { traces: { consumeTraces: async () => {} } },
    );
    started.push(tight);
    await tight.start({ reportFatalError: () => {} });
    await expect(tight.consumeTraces?.(traces(1))).rejects.toThrow('data refused due to high memory usage');
  });
});
