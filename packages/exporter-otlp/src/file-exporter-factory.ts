import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Exporter, ExporterFactory, Logger, Meter, Signal } from '@semtel/component';
import { errorMessage, formatComponentId, once, PermanentError, RetryableError } from '@semtel/component';
import { encodeLogs, encodeMetrics, encodeTraces } from '@semtel/otlp';
import type { Logs, Metrics, Traces } from '@semtel/pdata';
import { countLogRecords, countSpans } from '@semtel/pdata';
import { z } from 'zod';
import type { ExporterItemCounters } from './exporter-item-counters.js';
import { exporterItemCounters } from './exporter-item-counters.js';

export const fileConfigSchema = z.strictObject({
  /** The JSON Lines file; its directory is created when missing. */
  path: z.string().trim().min(1, 'path is required'),
  /** Only `json` (one OTLP/JSON request per line) is supported. */
  format: z.literal('json').default('json'),
  /** Rotates the file once it would exceed `max_megabytes`; absent means never. */
  rotation: z
    .strictObject({
      max_megabytes: z.number().positive().default(100),
      /** Rotated files kept; 0 keeps all. */
      max_backups: z.number().int().min(0).default(100),
    })
    .optional(),
});

export type FileConfig = z.output<typeof fileConfigSchema>;

const newline = Buffer.from('\n');

/** `name-2006-01-02T15-04-05.000.ext`, the backup names the collector's rotation uses. */
function backupName(filePath: string, now: Date): string {
  const extension = path.extname(filePath);
  const base = filePath.slice(0, filePath.length - extension.length);
  return `${base}-${now.toISOString().slice(0, 23).replaceAll(':', '-')}${extension}`;
}

/** Appends OTLP/JSON requests, one per line, like the collector's `file` exporter. */
class FileExporter implements Exporter {
  readonly #config: FileConfig;
  readonly #logger: Logger;
  readonly #path: string;
  readonly #meter: Meter;
  readonly #labels: { exporter: string };
  readonly #counters = new Map<Signal, ExporterItemCounters>();
  #handle: FileHandle | undefined;
  #size = 0;
  /** Every write waits for the previous one, so lines never interleave. */
  #queue: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(logger: Logger, meter: Meter, exporterName: string, config: FileConfig) {
    this.#config = config;
    this.#logger = logger;
    this.#meter = meter;
    this.#labels = { exporter: exporterName };
    this.#path = path.resolve(config.path);
  }

  readonly start = once(async (): Promise<void> => {
    await this.#serialise(async () => {
      await this.#open();
    });
  });

  consumeTraces(traces: Traces): Promise<void> {
    return this.#write('traces', countSpans(traces), () => encodeTraces(traces, 'json'));
  }

  consumeLogs(logs: Logs): Promise<void> {
    return this.#write('logs', countLogRecords(logs), () => encodeLogs(logs, 'json'));
  }

  consumeMetrics(metrics: Metrics): Promise<void> {
    return this.#write('metrics', metrics.dataPointCount, () => encodeMetrics(metrics, 'json'));
  }

  /** Waits for pending writes, then syncs and closes the file. */
  readonly shutdown = once(async (): Promise<void> => {
    this.#closed = true;
    await this.#serialise(async () => {
      const handle = this.#handle;
      this.#handle = undefined;
      if (handle === undefined) return;
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    });
  });

  /** Created on first use, so only the signals routed here get series, as for the OTLP exporters. */
  #countersOf(signal: Signal): ExporterItemCounters {
    let counters = this.#counters.get(signal);
    if (counters === undefined) {
      counters = exporterItemCounters(this.#meter, signal);
      this.#counters.set(signal, counters);
    }
    return counters;
  }

  async #write(signal: Signal, items: number, encode: () => Uint8Array): Promise<void> {
    if (this.#closed) throw new RetryableError(`file exporter for ${this.#path} is shut down`);
    if (items === 0) return;
    const counters = this.#countersOf(signal);
    let body: Uint8Array;
    try {
      body = encode();
    } catch (error) {
      counters.sendFailed.add(items, this.#labels);
      throw new PermanentError(`cannot encode ${signal} as OTLP/JSON: ${errorMessage(error)}`, {
        badData: true,
        cause: error,
      });
    }
    await this.#serialise(async () => {
      try {
        await this.#append(Buffer.concat([body, newline]));
        counters.sent.add(items, this.#labels);
      } catch (error) {
        counters.sendFailed.add(items, this.#labels);
        this.#logger.error(
          { path: this.#path, error: errorMessage(error) },
          `file exporter failed to write ${items} ${signal} items`,
        );
        throw new RetryableError(`cannot write to ${this.#path}: ${errorMessage(error)}`, { cause: error });
      }
    });
  }

  #serialise(task: () => Promise<void>): Promise<void> {
    const result = this.#queue.then(task);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #open(): Promise<FileHandle> {
    if (this.#handle !== undefined) return this.#handle;
    await mkdir(path.dirname(this.#path), { recursive: true });
    const handle = await open(this.#path, 'a');
    this.#size = (await handle.stat()).size;
    this.#handle = handle;
    return handle;
  }

  async #append(line: Buffer): Promise<void> {
    let handle = await this.#open();
    const rotation = this.#config.rotation;
    if (rotation !== undefined && this.#size > 0 && this.#size + line.length > rotation.max_megabytes * 1024 * 1024) {
      await this.#rotate(handle, rotation.max_backups);
      handle = await this.#open();
    }
    await handle.appendFile(line);
    this.#size += line.length;
  }

  async #rotate(handle: FileHandle, maxBackups: number): Promise<void> {
    this.#handle = undefined;
    await handle.close();
    let target = backupName(this.#path, new Date());
    // Two rotations within one millisecond would otherwise overwrite a backup.
    for (let suffix = 1; suffix < 1000 && (await stat(target).catch(() => undefined)) !== undefined; suffix += 1) {
      target = `${backupName(this.#path, new Date())}.${suffix}`;
    }
    await rename(this.#path, target);
    if (maxBackups === 0) return;
    const directory = path.dirname(this.#path);
    const extension = path.extname(this.#path);
    const base = path.basename(this.#path, extension).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const backupPattern = new RegExp(`^${base}-\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}\\.\\d{3}`);
    const backups = (await readdir(directory)).filter((name) => backupPattern.test(name)).sort();
    for (const name of backups.slice(0, Math.max(0, backups.length - maxBackups))) {
      await rm(path.join(directory, name), { force: true });
    }
  }
}

export const fileExporterFactory: ExporterFactory<FileConfig> = {
  type: 'file',
  signals: ['traces', 'logs', 'metrics'],
  configSchema: fileConfigSchema,
  create(settings, config) {
    const { logger, meter } = settings.telemetry;
    return new FileExporter(logger, meter, formatComponentId(settings.id), config);
  },
};
