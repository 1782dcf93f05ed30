import type { Signal } from '@semtel/component';
import { PermanentError, RetryableError } from '@semtel/component';
import type { PartialSuccess } from '@semtel/otlp';
import { describe, expect, it } from 'vitest';
import type { ExportTransport } from './exporter-helper.js';
import { ExporterHelper } from './exporter-helper.js';
import type { ExporterHelperConfig } from './exporter-helper-config.js';
import { retryOnFailureSchema, sendingQueueSchema } from './exporter-helper-config.js';
import { recordingTelemetry } from './testing/recording-telemetry.js';
import { sampleLogs, sampleTraces } from './testing/sample-data.js';

const host = { reportFatalError: () => undefined };

function helperConfig(overrides: { queue?: object; retry?: object; timeout?: number } = {}): ExporterHelperConfig {
  return {
    sending_queue: sendingQueueSchema.parse(overrides.queue ?? {}),
    retry_on_failure: retryOnFailureSchema.parse({
      initial_interval: '5ms',
      max_interval: '20ms',
      max_elapsed_time: '2s',
      ...overrides.retry,
    }),
    timeout: overrides.timeout ?? 1000,
  };
}

type Outcome = PartialSuccess | undefined | Error | 'hang';

/** A transport whose attempts follow a script, one outcome per attempt (the last repeats). */
class ScriptedTransport implements ExportTransport {
  attempts = 0;
  delivered = 0;
  closed = false;
  readonly #script: Outcome[];
  constructor(script: Outcome[]) {
    this.#script = script;
  }
  encode(_signal: Signal, data: unknown): Uint8Array {
    return Buffer.from(
      JSON.stringify(data, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value)),
    );
  }
  async send(_signal: Signal, _body: Uint8Array, abortSignal: AbortSignal): Promise<PartialSuccess | undefined> {
    const outcome = this.#script[Math.min(this.attempts, this.#script.length - 1)];
    this.attempts += 1;
    if (outcome === 'hang') {
      return new Promise((_resolve, reject) =>
        abortSignal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }),
      );
    }
    if (outcome instanceof Error) throw outcome;
    this.delivered += 1;
    return outcome;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

function create(transport: ExportTransport, config: ExporterHelperConfig, telemetry = recordingTelemetry()) {
  const exporter = new ExporterHelper(
    { id: { type: 'otlp_http', name: 'backend' }, telemetry },
    config,
    ['traces', 'logs'],
    transport,
  );
  return { exporter, telemetry };
}

const labels = { exporter: 'otlp_http/backend' };

async function waitFor(condition: () => boolean): Promise<void> {
  for (let round = 0; round < 500 && !condition(); round += 1) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
}

describe('ExporterHelper with the sending queue', () => {
  it('resolves at once, then retries retryable failures until delivered', async () => {
    const transport = new ScriptedTransport([new RetryableError('503'), new Error('ECONNRESET'), undefined]);
    const { exporter, telemetry } = create(transport, helperConfig());
    await exporter.start(host);
    await exporter.consumeTraces(sampleTraces(3));
    await waitFor(() => transport.delivered === 1);
    await exporter.shutdown();
    expect(transport.attempts).toBe(3);
    expect(telemetry.counter('otelcol_exporter_sent_spans', labels)).toBe(3);
    expect(telemetry.counter('otelcol_exporter_send_failed_spans', labels)).toBe(0);
    expect(telemetry.logs.filter((entry) => entry.message.includes('Will retry'))).toHaveLength(2);
    expect(transport.closed).toBe(true);
  });

  it('drops a batch on a permanent error without retrying and counts it failed', async () => {
    const transport = new ScriptedTransport([new PermanentError('HTTP 400', { badData: true })]);
    const { exporter, telemetry } = create(transport, helperConfig());
    await exporter.consumeTraces(sampleTraces(2));
    await exporter.shutdown();
    expect(transport.attempts).toBe(1);
    expect(telemetry.counter('otelcol_exporter_send_failed_spans', labels)).toBe(2);
    expect(telemetry.logs.some((entry) => entry.level === 'error' && entry.message.includes('not retryable'))).toBe(
      true,
    );
  });

  it('gives up after max_elapsed_time and counts the batch failed', async () => {
    const transport = new ScriptedTransport([new RetryableError('503')]);
    const { exporter, telemetry } = create(transport, helperConfig({ retry: { max_elapsed_time: '60ms' } }));
    await exporter.consumeLogs(sampleLogs(4));
    await exporter.shutdown();
    expect(transport.attempts).toBeGreaterThan(1);
    expect(telemetry.counter('otelcol_exporter_send_failed_log_records', labels)).toBe(4);
    expect(telemetry.logs.some((entry) => entry.message.includes('No more retries left'))).toBe(true);
  });

  it('does not retry a partial success and counts the rejected items failed', async () => {
    const transport = new ScriptedTransport([{ rejected: 1, errorMessage: 'span too large' }]);
    const { exporter, telemetry } = create(transport, helperConfig());
    await exporter.consumeTraces(sampleTraces(3));
    await exporter.shutdown();
    expect(transport.attempts).toBe(1);
    expect(telemetry.counter('otelcol_exporter_sent_spans', labels)).toBe(2);
    expect(telemetry.counter('otelcol_exporter_send_failed_spans', labels)).toBe(1);
    const warning = telemetry.logs.find((entry) => entry.level === 'warn');
    expect(warning?.message).toBe('Partial success response');
    expect(warning?.fields).toMatchObject({ message: 'span too large', dropped_spans: 1 });
  });

  it('rejects with a throttled RetryableError when the queue is full, and counts it', async () => {
    const transport = new ScriptedTransport(['hang']);
    const { exporter, telemetry } = create(transport, helperConfig({ queue: { queue_size: 2, num_consumers: 1 } }));
    await exporter.consumeTraces(sampleTraces(1)); // taken by the one consumer
    await waitFor(() => transport.attempts === 1);
    await exporter.consumeTraces(sampleTraces(1));
    await exporter.consumeTraces(sampleTraces(1));
    const refusal = await exporter.consumeTraces(sampleTraces(5)).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(RetryableError);
    expect((refusal as RetryableError).throttled).toBe(true);
    expect((refusal as RetryableError).retryAfterMs).toBeGreaterThan(0);
    expect(telemetry.counter('otelcol_exporter_enqueue_failed_spans', labels)).toBe(5);
    expect(telemetry.observe('otelcol_exporter_queue_size')).toContainEqual({
      value: 2,
      labels: { exporter: 'otlp_http/backend', data_type: 'traces' },
    });
    expect(telemetry.observe('otelcol_exporter_queue_capacity')).toEqual([
      { value: 2, labels: { exporter: 'otlp_http/backend', data_type: 'traces' } },
    ]);

    const controller = new AbortController();
    controller.abort();
    await exporter.shutdown(controller.signal);
    expect(telemetry.counter('otelcol_exporter_send_failed_spans', labels)).toBe(3);
    const report = telemetry.logs.find((entry) => entry.message.includes('were not delivered'));
    expect(report?.fields).toMatchObject({ dropped_spans: 3 });
  });

  it('bounds the encoded bytes it holds, in flight included, and refuses beyond them', async () => {
    const transport = new ScriptedTransport(['hang']);
    const batchBytes = transport.encode('traces', sampleTraces(1)).byteLength;
    // Room for three batches: one in flight, two waiting; queue_size alone would take 1000.
    const maxMiB = (batchBytes * 3.5) / (1024 * 1024);
    const { exporter, telemetry } = create(
      transport,
      helperConfig({ queue: { num_consumers: 1, max_size_mib: maxMiB } }),
    );
    for (let batch = 0; batch < 3; batch += 1) await exporter.consumeTraces(sampleTraces(1));
    await waitFor(() => transport.attempts === 1);
    const refusal = await exporter.consumeTraces(sampleTraces(1)).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(RetryableError);
    expect((refusal as RetryableError).throttled).toBe(true);
    expect((refusal as Error).message).toMatch(
      /^sending queue of exporter otlp_http\/backend is full \(2 of 1000 requests waiting, [\d.]+ of [\d.]+ MiB held\)$/,
    );
    expect(telemetry.counter('otelcol_exporter_enqueue_failed_spans', labels)).toBe(1);
    const series = { exporter: 'otlp_http/backend', data_type: 'traces' };
    expect(telemetry.observe('semtel_exporter_queue_bytes')).toEqual([{ value: batchBytes * 3, labels: series }]);
    expect(telemetry.observe('semtel_exporter_queue_bytes_capacity')).toEqual([
      { value: maxMiB * 1024 * 1024, labels: series },
    ]);
    const controller = new AbortController();
    controller.abort();
    await exporter.shutdown(controller.signal);
    expect(telemetry.counter('otelcol_exporter_send_failed_spans', labels)).toBe(3);
  });

  it('takes a batch larger than the byte bound when it holds nothing else, so it is never refused forever', async () => {
    const transport = new ScriptedTransport([undefined]);
    const { exporter, telemetry } = create(transport, helperConfig({ queue: { max_size_mib: 0.000001 } }));
    await exporter.consumeTraces(sampleTraces(3));
    await exporter.shutdown();
    expect(telemetry.counter('otelcol_exporter_sent_spans', labels)).toBe(3);
  });

  it('refuses a batch it cannot encode at once, as bad data, instead of dropping it later', async () => {
    const transport = new ScriptedTransport([undefined]);
    transport.encode = () => {
      throw new Error('integer 9223372036854775808 is outside int64');
    };
    const { exporter, telemetry } = create(transport, helperConfig());
    await expect(exporter.consumeTraces(sampleTraces(2))).rejects.toMatchObject({
      name: 'PermanentError',
      badData: true,
      message: 'cannot encode traces: integer 9223372036854775808 is outside int64',
    });
    await exporter.shutdown();
    expect(transport.attempts).toBe(0);
    expect(telemetry.counter('otelcol_exporter_send_failed_spans', labels)).toBe(2);
  });

  it('reports queue gauges only for the signals it has been given', async () => {
    const transport = new ScriptedTransport([undefined]);
    const { exporter, telemetry } = create(transport, helperConfig());
    expect(telemetry.observe('otelcol_exporter_queue_capacity')).toEqual([]);
    await exporter.consumeLogs(sampleLogs(1));
    expect(telemetry.observe('otelcol_exporter_queue_capacity').map((entry) => entry.labels.data_type)).toEqual([
      'logs',
    ]);
    await exporter.consumeTraces(sampleTraces(1));
    expect(
      telemetry
        .observe('otelcol_exporter_queue_size')
        .map((entry) => entry.labels.data_type)
        .sort(),
    ).toEqual(['logs', 'traces']);
    await exporter.shutdown();
  });

  it('shutdown keeps retrying what is queued until it is delivered', async () => {
    const transport = new ScriptedTransport([new RetryableError('503'), new RetryableError('503'), undefined]);
    const { exporter, telemetry } = create(transport, helperConfig({ queue: { num_consumers: 1 } }));
    await exporter.consumeTraces(sampleTraces(1));
    await exporter.consumeTraces(sampleTraces(2));
    await exporter.shutdown(new AbortController().signal);
    expect(telemetry.counter('otelcol_exporter_sent_spans', labels)).toBe(3);
    await expect(exporter.consumeTraces(sampleTraces(1))).rejects.toBeInstanceOf(RetryableError);
    await exporter.shutdown();
  });

  it('shutdown stops retrying when the deadline aborts', async () => {
    const transport = new ScriptedTransport([new RetryableError('503')]);
    const { exporter, telemetry } = create(transport, helperConfig({ retry: { max_elapsed_time: 0 } }));
    await exporter.consumeTraces(sampleTraces(2));
    await waitFor(() => transport.attempts >= 2);
    await exporter.shutdown(AbortSignal.timeout(30));
    expect(telemetry.counter('otelcol_exporter_send_failed_spans', labels)).toBe(2);
    expect(
      telemetry.logs.some((entry) => entry.level === 'error' && entry.message.includes('2 spans were not delivered')),
    ).toBe(true);
  });

  it('aborts an attempt that outlives the timeout and retries it', async () => {
    const transport = new ScriptedTransport(['hang', undefined]);
    const { exporter, telemetry } = create(transport, helperConfig({ timeout: 30 }));
    await exporter.consumeTraces(sampleTraces(1));
    await exporter.shutdown();
    expect(transport.attempts).toBe(2);
    expect(telemetry.counter('otelcol_exporter_sent_spans', labels)).toBe(1);
    expect(telemetry.logs.some((entry) => String(entry.fields.error).includes('timed out after 30ms'))).toBe(true);
  });

  it('skips empty batches', async () => {
    const transport = new ScriptedTransport([undefined]);
    const { exporter } = create(transport, helperConfig());
    await exporter.consumeTraces({ resourceSpans: [] });
    await exporter.shutdown();
    expect(transport.attempts).toBe(0);
  });

  it('refuses a signal it was not created for', async () => {
    const { exporter } = create(new ScriptedTransport([undefined]), helperConfig());
    await expect(exporter.consumeMetrics({ resourceMetrics: [{}], dataPointCount: 1 })).rejects.toBeInstanceOf(
      PermanentError,
    );
    await exporter.shutdown();
  });
});

describe('ExporterHelper without the sending queue', () => {
  it('waits for the export and resolves once delivered', async () => {
    const transport = new ScriptedTransport([new RetryableError('503'), undefined]);
    const { exporter, telemetry } = create(transport, helperConfig({ queue: { enabled: false } }));
    await exporter.consumeTraces(sampleTraces(2));
    expect(transport.delivered).toBe(1);
    expect(telemetry.counter('otelcol_exporter_sent_spans', labels)).toBe(2);
    await exporter.shutdown();
  });

  it('rejects with the permanent error', async () => {
    const transport = new ScriptedTransport([new PermanentError('HTTP 400', { badData: true })]);
    const { exporter } = create(transport, helperConfig({ queue: { enabled: false } }));
    await expect(exporter.consumeTraces(sampleTraces(1))).rejects.toMatchObject({
      name: 'PermanentError',
      badData: true,
    });
    await exporter.shutdown();
  });

  it('rejects with a RetryableError once retries are exhausted', async () => {
    const transport = new ScriptedTransport([new RetryableError('HTTP 429', { throttled: true, retryAfterMs: 10 })]);
    const { exporter } = create(transport, helperConfig({ queue: { enabled: false }, retry: { enabled: false } }));
    await expect(exporter.consumeTraces(sampleTraces(1))).rejects.toBeInstanceOf(RetryableError);
    expect(transport.attempts).toBe(1);
    await exporter.shutdown();
  });
});
