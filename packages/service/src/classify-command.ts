import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { once as onceEvent } from 'node:events';
import type { LogsConsumer, TracesConsumer } from '@semtel/component';
import { errorMessage, noopMeter } from '@semtel/component';
import { CodecError, decodeLogs, decodeTraces, encodeTraces } from '@semtel/otlp';
import type { Logs, Span, Traces } from '@semtel/pdata';
import { countSpans, getStringAttribute } from '@semtel/pdata';
import { builtinFactories } from './builtin-factories.js';
import { formatConfigIssue } from './config-error.js';
import { createLogger } from './create-logger.js';
import { loadConfig } from './load-config.js';
import type { Environment } from './parse-config-yaml.js';

export interface ClassifyOptions {
  files: readonly string[];
  configFile?: string;
  /** Where enriched OTLP/JSON lines go; stdout when absent. */
  output?: string;
}

export interface ClassifyIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Environment;
}

/** Offline runs are not latency-bound: a span may wait this long for its labels. */
const offlineMaxHoldMs = 10 * 60_000;

interface InputRequests {
  traces: Traces[];
  logs: Logs[];
}

/**
 * Reads OTLP/JSON files, one export request per line as the `file` exporter writes them (a file
 * holding one JSON request works too). Log requests are kept so GenAI events join their spans.
 */
async function readRequests(files: readonly string[]): Promise<InputRequests> {
  const requests: InputRequests = { traces: [], logs: [] };
  const encoder = new TextEncoder();
  for (const file of files) {
    const text = await readFile(file, 'utf8');
    const trimmed = text.trim();
    const documents = trimmed.startsWith('{') && !trimmed.includes('\n{') ? [trimmed] : trimmed.split(/\r?\n/);
    documents.forEach((line, index) => {
      if (line.trim() === '') return;
      const where = documents.length === 1 ? file : `${file}:${index + 1}`;
      let keys: string[];
      try {
        keys = Object.keys(JSON.parse(line) as object);
      } catch (error) {
        throw new CodecError(`${where}: not JSON: ${errorMessage(error)}`);
      }
      const bytes = encoder.encode(line);
      try {
        if (keys.includes('resourceSpans') || keys.includes('resource_spans'))
          requests.traces.push(decodeTraces(bytes, 'json'));
        else if (keys.includes('resourceLogs') || keys.includes('resource_logs'))
          requests.logs.push(decodeLogs(bytes, 'json'));
      } catch (error) {
        throw new CodecError(`${where}: ${errorMessage(error)}`);
      }
    });
  }
  return requests;
}

/**
 * `semtel classify`: runs OTLP/JSON files through the semantic processor, with the LLM the
 * configuration (or OPENAI_* environment) names or the offline lexical classifier, and writes
 * the enriched traces as OTLP/JSON lines. A summary of statuses goes to stderr.
 */
export async function runClassify(options: ClassifyOptions, io: ClassifyIo): Promise<number> {
  const factories = builtinFactories(undefined, io.env);
  const factory = factories.processors.find((candidate) => candidate.type === 'semantic');
  if (factory === undefined) throw new Error('the semantic processor is not built in');
  let processorConfig: unknown = factory.configSchema.parse({});
  if (options.configFile !== undefined) {
    const loaded = await loadConfig({ configFile: options.configFile, env: io.env }, factories);
    if (loaded.config === undefined) {
      io.stderr(`${options.configFile}: ${loaded.issues.length} problem(s)\n`);
      for (const issue of loaded.issues) io.stderr(`  ${formatConfigIssue(issue)}\n`);
      return 1;
    }
    const semantic = [...loaded.config.processors.values()].find((component) => component.type === 'semantic');
    if (semantic === undefined) {
      io.stderr(`${options.configFile}: no semantic processor is used by a pipeline; nothing to classify with\n`);
      return 1;
    }
    processorConfig = semantic.config;
  }
  const base = processorConfig as { max_hold: number };
  const config = { ...base, wait_for_release: true, max_hold: Math.max(base.max_hold, offlineMaxHoldMs) };

  let requests: InputRequests;
  try {
    requests = await readRequests(options.files);
  } catch (error) {
    io.stderr(`semtel classify: ${errorMessage(error)}\n`);
    return 1;
  }

  const output = options.output === undefined ? undefined : createWriteStream(options.output);
  const write = (text: string): void => {
    if (output === undefined) io.stdout(text);
    else output.write(text);
  };
  const decoder = new TextDecoder();
  const statuses = new Map<string, number>();
  let spans = 0;
  const next: TracesConsumer & LogsConsumer = {
    async consumeTraces(traces: Traces) {
      spans += countSpans(traces);
      for (const resourceSpans of traces.resourceSpans) {
        for (const scopeSpans of resourceSpans.scopeSpans) {
          for (const span of scopeSpans.spans) countStatus(statuses, span);
        }
      }
      write(`${decoder.decode(encodeTraces(traces, 'json'))}\n`);
    },
    async consumeLogs() {},
  };
  // Logs go to stderr, so stdout carries only the enriched telemetry.
  const logger = createLogger('warn', process.stderr);
  const processor = factory.create(
    { id: { type: 'semantic', name: '' }, telemetry: { logger, meter: noopMeter } },
    config,
    { traces: next, logs: next },
  );
  await processor.start({ reportFatalError: () => {} });
  // The processor's timers do not keep Node alive (a service has its servers for that); here
  // nothing else would, and the run would end with its spans still held.
  const keepAlive = setInterval(() => {}, 1000);
  try {
    for (const logs of requests.logs) await processor.consumeLogs?.(logs);
    await Promise.all(requests.traces.map((traces) => processor.consumeTraces?.(traces)));
  } finally {
    await processor.shutdown(AbortSignal.timeout(10_000));
    clearInterval(keepAlive);
    if (output !== undefined) {
      output.end();
      await onceEvent(output, 'finish');
    }
  }
  const summary = [...statuses].map(([status, count]) => `${status}=${count}`).join(' ');
  io.stderr(`semtel classify: ${spans} spans written${summary === '' ? '' : `; GenAI spans by status: ${summary}`}\n`);
  return 0;
}

function countStatus(statuses: Map<string, number>, span: Span): void {
  const status = getStringAttribute(span.attributes, 'semtel.status');
  if (status !== undefined) statuses.set(status, (statuses.get(status) ?? 0) + 1);
}
