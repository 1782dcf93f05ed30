import { randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger, NextConsumers, Processor, TracesConsumer } from '@semtel/component';
import { noopTelemetry, PermanentError, RetryableError } from '@semtel/component';
import { decodeTraces, encodeTraces, withReceivedProtobuf } from '@semtel/otlp';
import type { Traces } from '@semtel/pdata';
import { countSpans, createResource, createScope, createSpan } from '@semtel/pdata';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DurableQueueConfig } from './durable-queue-config.js';
import { durableQueueConfigSchema } from './durable-queue-config.js';
import type { DurableQueueProcessor } from './durable-queue-processor.js';
import { durableQueueProcessorFactory, storePath, tracesCodec } from './durable-queue-processor-factory.js';
import { QueueStore } from './queue-store.js';
import { currentProcessIdentity } from './store-lock.js';

const host = { reportFatalError: () => {} };
let directory: string;
let started: Processor[] = [];

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'semtel-durable-queue-'));
  started = [];
});

afterEach(async () => {
  await Promise.all(started.map((processor) => processor.shutdown()));
  rmSync(directory, { recursive: true, force: true });
});

function traces(name: string, spanCount = 1): Traces {
  return {
    resourceSpans: [
      {
        resource: createResource([{ key: 'service.name', value: 'checkout' }]),
        schemaUrl: '',
        scopeSpans: [
          {
            scope: createScope('test'),
            schemaUrl: '',
            spans: Array.from({ length: spanCount }, (_, index) =>
              createSpan({
                traceId: '0af7651916cd43dd8448eb211c80319c',
                spanId: (index + 1).toString(16).padStart(16, '0'),
                name,
                startTimeUnixNano: 1_700_000_000_000_000_000n,
              }),
            ),
          },
        ],
      },
    ],
  };
}

function names(received: Traces[]): string[] {
  return received.flatMap((request) =>
    request.resourceSpans.flatMap((resourceSpans) =>
      resourceSpans.scopeSpans.flatMap((scopeSpans) => scopeSpans.spans.map((span) => span.name)),
    ),
  );
}

/** A downstream whose every call waits until the test settles it. */
class ControlledConsumer implements TracesConsumer {
  readonly calls: { traces: Traces; resolve(): void; reject(error: Error): void }[] = [];
  consumeTraces(traces: Traces): Promise<void> {
    return new Promise((resolve, reject) => this.calls.push({ traces, resolve, reject }));
  }
}

class RecordingConsumer implements TracesConsumer {
  readonly received: Traces[] = [];
  failuresLeft = 0;
  failure: () => Error = () => new RetryableError('backend unavailable', { retryAfterMs: 1 });
  async consumeTraces(traces: Traces): Promise<void> {
    if (this.failuresLeft > 0) {
      this.failuresLeft -= 1;
      throw this.failure();
    }
    this.received.push(traces);
  }
}

interface LoggedLine {
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

/** Keeps every line, for tests that check what an operator would read. */
function recordingLogger(lines: LoggedLine[]): Logger {
  const record =
    (level: string) =>
    (first: object | string, message?: string): void => {
      lines.push(
        typeof first === 'string'
          ? { level, message: first, fields: {} }
          : { level, message: message ?? '', fields: first as Record<string, unknown> },
      );
    };
  const logger: Logger = {
    trace: record('trace'),
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
    child: () => logger,
  };
  return logger;
}

async function startQueue(
  next: NextConsumers,
  overrides: Record<string, unknown> = {},
  logger?: Logger,
): Promise<DurableQueueProcessor> {
  const config: DurableQueueConfig = durableQueueConfigSchema.parse({
    directory,
    retry: { initial_interval: '10ms', max_interval: '50ms' },
    shutdown_wait: '50ms',
    ...overrides,
  });
  const processor = durableQueueProcessorFactory.create(
    { id: { type: 'durable_queue', name: '' }, telemetry: logger ? { ...noopTelemetry, logger } : noopTelemetry },
    config,
    next,
  ) as DurableQueueProcessor;
  await processor.start(host);
  started.push(processor);
  return processor;
}

/** True once the store's newest lock record says its holder released it (the store is closed). */
function lockReleased(): boolean {
  const owners = `${storePath(directory, 'durable_queue')}.owners`;
  const newest = Math.max(
    ...readdirSync(owners)
      .filter((name) => /^\d+$/.test(name))
      .map(Number),
  );
  return (JSON.parse(readFileSync(join(owners, String(newest)), 'utf8')) as { released?: boolean }).released === true;
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('DurableQueueProcessor', () => {
  it('stores a request before acknowledging it, and a fresh instance replays it after a crash', async () => {
    const downstream = new ControlledConsumer();
    const first = await startQueue({ traces: downstream });
    await first.consumeTraces(traces('acknowledged'));
    expect(first.stored('traces')).toBe(1);
    await waitFor(() => downstream.calls.length === 1, 'the first delivery attempt');

    // The first instance goes away without its delivery settling (as after kill -9, the entry
    // is still on disk); its store closes, and its lock is released, once the attempt fails.
    await first.shutdown();
    downstream.calls[0]?.reject(new RetryableError('killed'));
    await waitFor(lockReleased, 'the first instance to release the store');

    const recovered = new RecordingConsumer();
    const second = await startQueue({ traces: recovered });
    await waitFor(() => recovered.received.length === 1, 'the replayed request');
    expect(names(recovered.received)).toEqual(['acknowledged']);
    await waitFor(() => second.stored('traces') === 0, 'the replayed entry to be removed');
  });

  it('stores a request as the protobuf it was received in, without encoding it again', async () => {
    const downstream = new ControlledConsumer();
    const processor = await startQueue({ traces: downstream });
    // An unknown field (number 99, varint 1) is only in the received bytes: decoding drops it.
    const body = new Uint8Array([...encodeTraces(traces('received'), 'protobuf'), 0x98, 0x06, 0x01]);
    const data = decodeTraces(body, 'protobuf');
    await withReceivedProtobuf(data, body, () => processor.consumeTraces(data));
    await waitFor(() => downstream.calls.length === 1, 'the delivery attempt');
    expect(downstream.calls[0]?.traces).toBe(data);
    await processor.shutdown();
    downstream.calls[0]?.reject(new RetryableError('stopped'));
    await waitFor(lockReleased, 'the store to close');

    const store = QueueStore.open(storePath(directory, 'durable_queue'), 'batch');
    const partition = store.partition('traces');
    const [entry] = partition.entries();
    expect(entry?.bytes).toBe(body.byteLength);
    expect([...(partition.get(entry?.id ?? 0) ?? [])]).toEqual([...body]);
    await store.close();
  });

  it('deletes an entry only once downstream resolved it', async () => {
    const downstream = new ControlledConsumer();
    const processor = await startQueue({ traces: downstream });
    await processor.consumeTraces(traces('a'));
    await processor.consumeTraces(traces('b'));
    await waitFor(() => downstream.calls.length === 2, 'both deliveries');
    expect(processor.stored('traces')).toBe(2);
    downstream.calls[0]?.resolve();
    await waitFor(() => processor.stored('traces') === 1, 'the delivered entry to go');
    downstream.calls[1]?.resolve();
    await waitFor(() => processor.stored('traces') === 0, 'the second entry to go');
    await processor.shutdown();

    // Nothing is left for the next start.
    const recovered = new RecordingConsumer();
    const next = await startQueue({ traces: recovered });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(recovered.received).toEqual([]);
    expect(next.stored('traces')).toBe(0);
  });

  it('keeps a failed entry on disk and retries it with backoff until it is delivered', async () => {
    const downstream = new RecordingConsumer();
    downstream.failuresLeft = 3;
    const processor = await startQueue({ traces: downstream });
    await processor.consumeTraces(traces('retried', 3));
    await waitFor(() => downstream.received.length === 1, 'the delivery after three failures');
    expect(countSpans(downstream.received[0] as Traces)).toBe(3);
    expect(names(downstream.received)).toEqual(['retried', 'retried', 'retried']);
    await waitFor(() => processor.stored('traces') === 0, 'the delivered entry to go');
  });

  it('delivers every request of a burst exactly once while max_in_flight bounds the calls downstream', async () => {
    const downstream = new ControlledConsumer();
    const processor = await startQueue({ traces: downstream }, { max_in_flight: 4 });
    await Promise.all(Array.from({ length: 20 }, (_, index) => processor.consumeTraces(traces(`r${index}`))));
    const delivered: string[] = [];
    // Each round settles what is in flight; 20 requests at 4 in flight take 5 rounds.
    for (let round = 0; round < 10 && delivered.length < 20; round++) {
      await waitFor(() => downstream.calls.length > 0, 'deliveries in flight');
      const calls = downstream.calls.splice(0);
      expect(calls.length).toBeLessThanOrEqual(4);
      for (const call of calls) {
        delivered.push(...names([call.traces]));
        call.resolve();
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(delivered.sort()).toEqual(Array.from({ length: 20 }, (_, index) => `r${index}`).sort());
    await waitFor(() => processor.stored('traces') === 0, 'every entry to go');
  });

  it('refuses with a retryable error when full, and accepts again once entries are delivered', async () => {
    const downstream = new ControlledConsumer();
    const processor = await startQueue({ traces: downstream }, { max_entries: 2, retry_after: '3s' });
    await processor.consumeTraces(traces('one'));
    await processor.consumeTraces(traces('two'));
    const refusal = await processor.consumeTraces(traces('three')).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(RetryableError);
    expect(refusal).toMatchObject({ retryAfterMs: 3000, throttled: false });
    expect((refusal as Error).message).toMatch(/durable queue is full/);

    await waitFor(() => downstream.calls.length === 2, 'both deliveries');
    downstream.calls[0]?.resolve();
    await waitFor(() => processor.stored('traces') === 1, 'room for one more');
    await processor.consumeTraces(traces('three'));
    expect(processor.stored('traces')).toBe(2);
  });

  it('bounds the stored bytes with max_size_mib', async () => {
    const downstream = new ControlledConsumer();
    const oneRequestBytes = tracesCodec.encode(traces('fits', 10)).byteLength;
    const processor = await startQueue({ traces: downstream }, { max_size_mib: (1.5 * oneRequestBytes) / 2 ** 20 });
    await processor.consumeTraces(traces('fits', 10));
    await expect(processor.consumeTraces(traces('does not fit', 10))).rejects.toBeInstanceOf(RetryableError);
    // A request larger than the whole queue can never fit: retrying would not help the sender.
    await expect(processor.consumeTraces(traces('never fits', 100))).rejects.toBeInstanceOf(PermanentError);
  });

  it('removes an entry that downstream refused permanently', async () => {
    const downstream = new RecordingConsumer();
    downstream.failuresLeft = 1;
    downstream.failure = () => new PermanentError('invalid span', { badData: true });
    const processor = await startQueue({ traces: downstream });
    await processor.consumeTraces(traces('refused'));
    await processor.consumeTraces(traces('accepted'));
    await waitFor(() => processor.stored('traces') === 0, 'both entries to go');
    expect(names(downstream.received)).toEqual(['accepted']);
  });

  it('creates a missing directory at start', async () => {
    const downstream = new RecordingConsumer();
    const processor = await startQueue({ traces: downstream }, { directory: join(directory, 'not', 'yet') });
    await processor.consumeTraces(traces('stored'));
    await waitFor(() => downstream.received.length === 1, 'the delivery');
    expect(existsSync(storePath(join(directory, 'not', 'yet'), 'durable_queue'))).toBe(true);
  });

  it('refuses new data once shutting down', async () => {
    const processor = await startQueue({ traces: new RecordingConsumer() });
    await processor.shutdown();
    await expect(processor.consumeTraces(traces('late'))).rejects.toBeInstanceOf(RetryableError);
  });

  it.each(['always', 'batch', 'never'] as const)('stores and replays with fsync: %s', async (fsync) => {
    const downstream = new ControlledConsumer();
    const first = await startQueue({ traces: downstream }, { fsync, max_in_flight: 1 });
    await first.consumeTraces(traces('x'));
    await first.consumeTraces(traces('y'));
    await waitFor(() => downstream.calls.length === 1, 'one delivery in flight');
    await first.shutdown();
    downstream.calls[0]?.reject(new RetryableError('stopped'));
    await waitFor(lockReleased, 'the first instance to release the store');

    const recovered = new RecordingConsumer();
    await startQueue({ traces: recovered }, { fsync });
    await waitFor(() => recovered.received.length === 2, 'both replayed requests');
    expect(names(recovered.received)).toEqual(['x', 'y']);
  });

  it('keeps signals apart in one store', async () => {
    const traceConsumer = new RecordingConsumer();
    const logs: unknown[] = [];
    const processor = await startQueue({
      traces: traceConsumer,
      logs: {
        consumeLogs: async (data) => {
          logs.push(data);
        },
      },
    });
    await processor.consumeTraces(traces('span'));
    await processor.consumeLogs({
      resourceLogs: [{ resource: createResource(), schemaUrl: '', scopeLogs: [] }],
    });
    await waitFor(() => traceConsumer.received.length === 1, 'the traces');
    await expect(processor.consumeMetrics({ resourceMetrics: [], dataPointCount: 0 })).rejects.toBeInstanceOf(
      PermanentError,
    );
  });

  it('refuses to start on a store another live process owns', async () => {
    // The lock record a semtel in this pid namespace leaves, naming a process that runs (vitest's).
    const owners = `${storePath(directory, 'durable_queue')}.owners`;
    mkdirSync(owners, { recursive: true });
    const identity = currentProcessIdentity();
    writeFileSync(
      join(owners, '1'),
      JSON.stringify({
        ...identity,
        pid: process.ppid,
        start_time: undefined,
        token: randomUUID(),
        heartbeat: 0,
        acquired_at: '',
      }),
    );
    await expect(startQueue({ traces: new RecordingConsumer() })).rejects.toThrow(/in use by process/);
  });

  it('takes over a store whose owner is gone, and releases it at shutdown', async () => {
    const owners = `${storePath(directory, 'durable_queue')}.owners`;
    mkdirSync(owners, { recursive: true });
    writeFileSync(
      join(owners, '1'),
      JSON.stringify({
        ...currentProcessIdentity(),
        pid: 2_147_483_646,
        token: randomUUID(),
        heartbeat: 0,
        acquired_at: '',
      }),
    );
    const processor = await startQueue({ traces: new RecordingConsumer() });
    expect(readdirSync(owners)).toEqual(['2']);
    await processor.shutdown();
    expect(JSON.parse(readFileSync(join(owners, '2'), 'utf8'))).toMatchObject({ pid: process.pid, released: true });
  });

  it.each([
    ['overwritten with random bytes', (path: string) => writeFileSync(path, Buffer.alloc(statSync(path).size, 0x5a))],
    ['truncated', (path: string) => truncateSync(path, Math.floor(statSync(path).size / 3))],
  ] as const)('sets a store %s aside, says how to recover it, and starts empty', async (_damage, damage) => {
    const path = storePath(directory, 'durable_queue');
    const store = QueueStore.open(path, 'batch');
    for (let id = 1; id <= 20; id++)
      await store.partition('traces').put(id, tracesCodec.encode(traces(`lost ${id}`, 200)));
    await store.close();
    damage(path);

    const lines: LoggedLine[] = [];
    const downstream = new RecordingConsumer();
    const processor = await startQueue({ traces: downstream }, {}, recordingLogger(lines));
    const errors = lines.filter((line) => line.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(/damaged: moved it aside and starting with an empty queue/);
    const movedTo = String(errors[0]?.fields.moved_to);
    expect(movedTo).toMatch(/durable_queue\.mdb\.corrupt-\d{4}-\d\d-\d\dT/);
    expect(existsSync(movedTo)).toBe(true);
    expect(String(errors[0]?.fields.recovery)).toContain(`mdb_dump -n -a -f dump.txt ${movedTo}`);
    expect(processor.stored('traces')).toBe(0);

    // The fresh store takes data as usual.
    await processor.consumeTraces(traces('after the damage'));
    await waitFor(() => downstream.received.length === 1, 'the new request');
    expect(names(downstream.received)).toEqual(['after the damage']);
  });
});
