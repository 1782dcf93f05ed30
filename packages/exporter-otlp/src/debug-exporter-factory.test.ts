import type { Logger } from '@semtel/component';
import { decodeMetrics } from '@semtel/otlp';
import { describe, expect, it } from 'vitest';
import { debugExporterFactory } from './debug-exporter-factory.js';
import { recordingTelemetry } from './testing/recording-telemetry.js';
import { sampleLogs, sampleTraces } from './testing/sample-data.js';

function createExporter(config: object, telemetry = recordingTelemetry()) {
  const exporter = debugExporterFactory.create(
    { id: { type: 'debug', name: '' }, telemetry },
    debugExporterFactory.configSchema.parse(config),
  );
  return { exporter, telemetry };
}

describe('debug exporter', () => {
  it('defaults to basic: one summary line per batch', async () => {
    const { exporter, telemetry } = createExporter({});
    await exporter.consumeTraces?.(sampleTraces(2));
    await exporter.consumeLogs?.(sampleLogs(3));
    expect(telemetry.logs).toEqual([
      { level: 'info', message: 'TracesExporter', fields: { 'resource spans': 1, spans: 2 } },
      { level: 'info', message: 'LogsExporter', fields: { 'resource logs': 1, 'log records': 3 } },
    ]);
  });

  it('counts what it printed in otelcol_exporter_sent_*, per signal it was given', async () => {
    const { exporter, telemetry } = createExporter({});
    await exporter.consumeTraces?.(sampleTraces(2));
    await exporter.consumeTraces?.(sampleTraces(3));
    await exporter.consumeLogs?.(sampleLogs(4));
    const labels = { exporter: 'debug' };
    expect(telemetry.counter('otelcol_exporter_sent_spans', labels)).toBe(5);
    expect(telemetry.counter('otelcol_exporter_sent_log_records', labels)).toBe(4);
    expect(telemetry.counter('otelcol_exporter_send_failed_spans', labels)).toBe(0);
  });

  it('prints one line per span at normal verbosity', async () => {
    const { exporter, telemetry } = createExporter({ verbosity: 'normal' });
    await exporter.consumeTraces?.(sampleTraces(2));
    const text = telemetry.logs[1]?.message ?? '';
    expect(text).toContain(
      'chat gpt-4o 0 5b8efff798038103d269b633813fc60c eee19b7ec3c1b174 gen_ai.request.model=Str(gpt-4o)',
    );
    expect(text.split('\n').filter((line) => line.startsWith('chat gpt-4o'))).toHaveLength(2);
  });

  it('prints every span and log record with attributes at detailed verbosity', async () => {
    const { exporter, telemetry } = createExporter({ verbosity: 'detailed' });
    await exporter.consumeTraces?.(sampleTraces(1));
    await exporter.consumeLogs?.(sampleLogs(1));
    const spanText = telemetry.logs[1]?.message ?? '';
    for (const expected of [
      'Resource attributes:',
      '     -> service.name: Str(checkout)',
      'InstrumentationScope openai-instrumentation 1.0.0',
      '    Trace ID       : 5b8efff798038103d269b633813fc60c',
      '    Kind           : Client',
      '    Start time     : 2018-12-13T14:51:00.000000123Z',
      '     -> gen_ai.usage.input_tokens: Int(12)',
      '     -> temperature: Double(0.5)',
      '     -> tags: Slice(["a","b"])',
      '     -> nested: Map({"k":"v"})',
      '     -> Name: gen_ai.evaluation.result',
    ]) {
      expect(spanText).toContain(expected);
    }
    const logText = telemetry.logs[3]?.message ?? '';
    expect(logText).toContain('Body: Str(hello 0)');
    expect(logText).toContain('     -> event.name: Str(gen_ai.user.message)');
  });

  it('prints metrics as OTLP/JSON at detailed verbosity', async () => {
    const metrics = decodeMetrics(
      Buffer.from(
        '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"queue.depth","gauge":{"dataPoints":[{"asDouble":3}]}}]}]}]}',
      ),
      'json',
    );
    const { exporter, telemetry } = createExporter({ verbosity: 'detailed' });
    await exporter.consumeMetrics?.(metrics);
    expect(telemetry.logs[0]).toEqual({
      level: 'info',
      message: 'MetricsExporter',
      fields: { 'resource metrics': 1, 'data points': 1 },
    });
    expect(telemetry.logs[1]?.message).toContain('"name":"queue.depth"');
  });

  it('never throws, even when the logger does', async () => {
    const broken: Logger = {
      trace: () => undefined,
      debug: () => undefined,
      info: () => {
        throw new Error('disk full');
      },
      warn: () => {
        throw new Error('disk full');
      },
      error: () => undefined,
      child: () => broken,
    };
    const telemetry = { ...recordingTelemetry(), logger: broken };
    const { exporter } = createExporter({ verbosity: 'detailed' }, telemetry);
    await expect(exporter.consumeTraces?.(sampleTraces(1))).resolves.toBeUndefined();
    expect(telemetry.counter('otelcol_exporter_send_failed_spans', { exporter: 'debug' })).toBe(1);
    expect(telemetry.counter('otelcol_exporter_sent_spans', { exporter: 'debug' })).toBe(0);
    await expect(
      exporter.consumeMetrics?.({ resourceMetrics: [{ nonsense: true }], dataPointCount: 1 }),
    ).resolves.toBeUndefined();
    await exporter.shutdown();
    await exporter.shutdown();
  });
});
