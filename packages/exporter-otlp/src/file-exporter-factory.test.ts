import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeLogs, decodeTraces, encodeTraces } from '@semtel/otlp';
import { describe, expect, it } from 'vitest';
import { fileExporterFactory } from './file-exporter-factory.js';
import { recordingTelemetry } from './testing/recording-telemetry.js';
import { sampleLogs, sampleTraces } from './testing/sample-data.js';

const host = { reportFatalError: () => undefined };

function createExporter(config: object, telemetry = recordingTelemetry()) {
  return fileExporterFactory.create(
    { id: { type: 'file', name: 'spans' }, telemetry },
    fileExporterFactory.configSchema.parse(config),
  );
}

function temporaryDirectory(): string {
  return mkdtempSync(path.join(tmpdir(), 'semtel-file-exporter-'));
}

describe('file exporter', () => {
  it('requires a path', () => {
    expect(fileExporterFactory.configSchema.safeParse({}).error?.issues[0]?.path).toEqual(['path']);
  });

  it('appends one OTLP/JSON request per line, without interleaving, creating the directory', async () => {
    const file = path.join(temporaryDirectory(), 'nested', 'deeper', 'spans.jsonl');
    const exporter = createExporter({ path: file });
    await exporter.start(host);
    const writes: Promise<void>[] = [];
    for (let index = 0; index < 20; index += 1) {
      writes.push(exporter.consumeTraces?.(sampleTraces(50, `batch ${index}`)) ?? Promise.resolve());
      writes.push(exporter.consumeLogs?.(sampleLogs(2)) ?? Promise.resolve());
    }
    await Promise.all(writes);
    await exporter.shutdown();
    await exporter.shutdown();

    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(40);
    const traceLines = lines.filter((line) => line.startsWith('{"resourceSpans"'));
    expect(traceLines).toHaveLength(20);
    traceLines.forEach((line, index) => {
      expect(decodeTraces(Buffer.from(line), 'json')).toEqual(sampleTraces(50, `batch ${index}`));
    });
    const logLine = lines.find((line) => line.startsWith('{"resourceLogs"')) ?? '';
    expect(decodeLogs(Buffer.from(logLine), 'json')).toEqual(sampleLogs(2));

    const again = createExporter({ path: file });
    await again.start(host);
    await again.consumeTraces?.(sampleTraces(1));
    await again.shutdown();
    expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(42);
  });

  it('counts written items in otelcol_exporter_sent_* and failed writes in send_failed', async () => {
    const directory = temporaryDirectory();
    const telemetry = recordingTelemetry();
    const exporter = createExporter({ path: path.join(directory, 'spans.jsonl') }, telemetry);
    await exporter.start(host);
    await exporter.consumeTraces?.(sampleTraces(3));
    await exporter.consumeLogs?.(sampleLogs(2));
    await exporter.shutdown();
    const labels = { exporter: 'file/spans' };
    expect(telemetry.counter('otelcol_exporter_sent_spans', labels)).toBe(3);
    expect(telemetry.counter('otelcol_exporter_sent_log_records', labels)).toBe(2);

    // A directory where the file should be: every write fails.
    const failing = recordingTelemetry();
    const broken = createExporter({ path: directory }, failing);
    await expect(broken.consumeTraces?.(sampleTraces(4))).rejects.toMatchObject({ name: 'RetryableError' });
    await broken.shutdown();
    expect(failing.counter('otelcol_exporter_send_failed_spans', { exporter: 'file/spans' })).toBe(4);
    expect(failing.counter('otelcol_exporter_sent_spans', { exporter: 'file/spans' })).toBe(0);
  });

  it('refuses data after shutdown', async () => {
    const exporter = createExporter({ path: path.join(temporaryDirectory(), 'spans.jsonl') });
    await exporter.start(host);
    await exporter.shutdown();
    await expect(exporter.consumeTraces?.(sampleTraces(1))).rejects.toMatchObject({ name: 'RetryableError' });
  });

  it('rotates by size and keeps max_backups', async () => {
    const directory = temporaryDirectory();
    const file = path.join(directory, 'spans.jsonl');
    const lineBytes = encodeTraces(sampleTraces(1), 'json').byteLength + 1;
    const exporter = createExporter({
      path: file,
      rotation: { max_megabytes: (lineBytes * 2.5) / (1024 * 1024), max_backups: 2 },
    });
    await exporter.start(host);
    for (let index = 0; index < 12; index += 1) await exporter.consumeTraces?.(sampleTraces(1));
    await exporter.shutdown();
    const names = readdirSync(directory).sort();
    expect(names).toContain('spans.jsonl');
    expect(names).toHaveLength(3);
    for (const name of names) {
      for (const line of readFileSync(path.join(directory, name), 'utf8').trim().split('\n')) {
        expect(decodeTraces(Buffer.from(line), 'json').resourceSpans).toHaveLength(1);
      }
    }
  });
});
