import type { Logger } from '@semtel/component';
import { noopLogger, RetryableError } from '@semtel/component';
import { describe, expect, it } from 'vitest';
import { InFlightBudget } from './in-flight-budget.js';
import { QueueCapacity } from './queue-capacity.js';
import type { QueuePartition, StoredEntry } from './queue-store.js';
import type { SignalCodec, SignalQueueEvents } from './signal-queue.js';
import { SignalQueue } from './signal-queue.js';

/** An in-memory partition whose writes complete only when the test says so. */
class HeldPartition implements QueuePartition {
  readonly stored = new Map<number, Uint8Array>();
  readonly pendingWrites: { complete(): void; fail(error: Error): void }[] = [];
  readonly writtenIds: number[] = [];
  put(id: number, body: Uint8Array): Promise<void> {
    this.writtenIds.push(id);
    return new Promise((resolve, reject) =>
      this.pendingWrites.push({
        complete: () => {
          this.stored.set(id, body);
          resolve();
        },
        fail: reject,
      }),
    );
  }
  get(id: number): Uint8Array | undefined {
    return this.stored.get(id);
  }
  async remove(id: number): Promise<void> {
    this.stored.delete(id);
  }
  entries(): StoredEntry[] {
    return [...this.stored].map(([id, body]) => ({ id, bytes: body.byteLength }));
  }
}

const textCodec: SignalCodec<string> = {
  encode: (text) => new TextEncoder().encode(text),
  decode: (body) => new TextDecoder().decode(body),
  count: () => 1,
};

const noEvents: SignalQueueEvents = {
  persisted: () => {},
  refused: () => {},
  delivered: () => {},
  failed: () => {},
  dropped: () => {},
};

interface QueueSettings {
  deliver?: (text: string) => Promise<void>;
  maxInFlight?: number;
  inFlightBudget?: InFlightBudget;
  capacity?: QueueCapacity;
  logger?: Logger;
}

function createQueue(
  partition: QueuePartition,
  delivered: string[],
  settings: QueueSettings = {},
): SignalQueue<string> {
  return new SignalQueue<string>({
    signal: 'logs',
    partition,
    codec: textCodec,
    deliver:
      settings.deliver ??
      (async (text) => {
        delivered.push(text);
      }),
    capacity: settings.capacity ?? new QueueCapacity(1024, 10),
    maxInFlight: settings.maxInFlight ?? 2,
    inFlightBudget: settings.inFlightBudget ?? new InFlightBudget(1024),
    backoff: { initialMs: 5, maxMs: 20, multiplier: 2 },
    fullRetryAfterMs: 1000,
    logger: settings.logger ?? noopLogger,
    events: noEvents,
  });
}

/** A downstream whose calls wait until the test settles them. */
class HeldDownstream {
  readonly calls: { text: string; resolve(): void }[] = [];
  deliver = (text: string): Promise<void> =>
    new Promise((resolve) => {
      this.calls.push({ text, resolve });
    });
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let attempt = 0; attempt < 400 && !condition(); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

describe('SignalQueue', () => {
  it('resolves an enqueue only after the write completed, and delivers only then', async () => {
    const partition = new HeldPartition();
    const delivered: string[] = [];
    const queue = createQueue(partition, delivered);
    queue.start();
    let acknowledged = false;
    const enqueued = queue.enqueue('payload').then(() => {
      acknowledged = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(acknowledged).toBe(false);
    expect(delivered).toEqual([]);
    partition.pendingWrites[0]?.complete();
    await enqueued;
    expect(acknowledged).toBe(true);
    expect(delivered).toEqual(['payload']);
  });

  it('refuses with a retryable error when the write fails, and frees its room', async () => {
    const partition = new HeldPartition();
    const queue = createQueue(partition, []);
    queue.start();
    const enqueued = queue.enqueue('payload');
    partition.pendingWrites[0]?.fail(new Error('ENOSPC: no space left on device'));
    await expect(enqueued).rejects.toBeInstanceOf(RetryableError);
    await expect(enqueued).rejects.toThrow(/ENOSPC/);
    expect(queue.size).toBe(0);
  });

  it('replays loaded entries oldest first, and next ids continue after them', async () => {
    const partition = new HeldPartition();
    for (const [id, text] of [
      [3, 'a'],
      [5, 'b'],
      [7, 'c'],
    ] as const) {
      partition.stored.set(id, textCodec.encode(text));
    }
    const delivered: string[] = [];
    const queue = createQueue(partition, delivered);
    expect(queue.load()).toBe(3);
    queue.start();
    for (let attempt = 0; attempt < 100 && partition.stored.size > 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(delivered).toEqual(['a', 'b', 'c']);
    expect(queue.size).toBe(0);
    const enqueued = queue.enqueue('d');
    partition.pendingWrites[0]?.complete();
    await enqueued;
    expect(delivered).toEqual(['a', 'b', 'c', 'd']);
    // The new entry took an id after the replayed ones, so it cannot overwrite one of them.
    expect(partition.writtenIds).toEqual([8]);
  });

  it('replays within the in-flight byte budget, so memory does not grow with the requests waiting', async () => {
    const partition = new HeldPartition();
    // Eight stored entries of 300 bytes; the budget holds three of them, max_in_flight would allow all.
    for (let id = 1; id <= 8; id++) partition.stored.set(id, textCodec.encode(String(id).repeat(300)));
    const budget = new InFlightBudget(900);
    const downstream = new HeldDownstream();
    const queue = createQueue(partition, [], {
      deliver: downstream.deliver,
      maxInFlight: 64,
      inFlightBudget: budget,
      capacity: new QueueCapacity(1_000_000, 100),
    });
    queue.load();
    queue.start();
    const delivered: string[] = [];
    // Each round settles what is in flight: 8 entries at 3 per round take 3 rounds.
    for (let round = 0; round < 10 && delivered.length < 8; round++) {
      await waitFor(() => downstream.calls.length > 0, 'deliveries in flight');
      expect(queue.inFlightCount).toBeLessThanOrEqual(3);
      expect(budget.usedBytes).toBeLessThanOrEqual(900);
      for (const call of downstream.calls.splice(0)) {
        delivered.push(call.text[0] as string);
        call.resolve();
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(delivered).toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);
    await waitFor(() => budget.usedBytes === 0, 'the budget to be given back');
  });

  it('still sends a request larger than the whole budget, alone', async () => {
    const partition = new HeldPartition();
    partition.stored.set(1, textCodec.encode('a'.repeat(5000)));
    partition.stored.set(2, textCodec.encode('b'.repeat(10)));
    const downstream = new HeldDownstream();
    const queue = createQueue(partition, [], {
      deliver: downstream.deliver,
      maxInFlight: 64,
      inFlightBudget: new InFlightBudget(1000),
      capacity: new QueueCapacity(1_000_000, 100),
    });
    queue.load();
    queue.start();
    await waitFor(() => downstream.calls.length === 1, 'the large request');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(downstream.calls.map((call) => call.text[0])).toEqual(['a']);
    downstream.calls[0]?.resolve();
    await waitFor(() => downstream.calls.length === 2, 'the small one after it');
  });

  it('keeps delivering what is stored during a draining shutdown, then stops', async () => {
    const partition = new HeldPartition();
    for (let id = 1; id <= 6; id++) partition.stored.set(id, textCodec.encode(`e${id}`));
    const downstream = new HeldDownstream();
    const queue = createQueue(partition, [], { deliver: downstream.deliver, maxInFlight: 2 });
    queue.load();
    queue.start();
    await waitFor(() => downstream.calls.length === 2, 'the first two deliveries');
    queue.stopAccepting();
    const stopped = queue.stopDelivering(5000, undefined, true);
    // Settling each delivery frees a slot that the drain fills with the next stored entry.
    for (let round = 0; round < 10 && queue.size > 0; round++) {
      await waitFor(() => downstream.calls.length > 0, 'a delivery');
      for (const call of downstream.calls.splice(0)) call.resolve();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(await stopped).toBe(0);
    expect(partition.stored.size).toBe(0);
  });

  it('stops a drain at its time limit and leaves the rest on disk', async () => {
    const partition = new HeldPartition();
    for (let id = 1; id <= 4; id++) partition.stored.set(id, textCodec.encode(`e${id}`));
    const downstream = new HeldDownstream();
    const queue = createQueue(partition, [], { deliver: downstream.deliver, maxInFlight: 1 });
    queue.load();
    queue.start();
    await waitFor(() => downstream.calls.length === 1, 'the first delivery');
    queue.stopAccepting();
    // The one delivery in flight never settles: the drain ends at its limit with it still out.
    expect(await queue.stopDelivering(30, undefined, true)).toBe(1);
    downstream.calls[0]?.resolve();
    await waitFor(() => queue.inFlightCount === 0, 'the last delivery to settle');
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Nothing more started after the drain ended.
    expect(downstream.calls).toHaveLength(1);
    expect([...partition.stored.keys()]).toEqual([2, 3, 4]);
  });

  it('logs a failing store once, with the cause, and once when writes work again', async () => {
    const partition = new HeldPartition();
    const lines: { level: string; message: string; fields: object }[] = [];
    const record =
      (level: string) =>
      (fields: object | string, message?: string): void => {
        lines.push(
          typeof fields === 'string'
            ? { level, message: fields, fields: {} }
            : { level, message: message ?? '', fields },
        );
      };
    const logger: Logger = { ...noopLogger, error: record('error'), info: record('info'), warn: record('warn') };
    const queue = createQueue(partition, [], { logger });
    queue.start();
    for (let attempt = 0; attempt < 3; attempt++) {
      const enqueued = queue.enqueue(`r${attempt}`);
      partition.pendingWrites.shift()?.fail(new Error('commit failed: No space left on device (code 28)'));
      await expect(enqueued).rejects.toThrow(/No space left on device/);
    }
    const succeeded = queue.enqueue('ok');
    partition.pendingWrites.shift()?.complete();
    await succeeded;
    expect(lines.map((line) => line.level)).toEqual(['error', 'info']);
    expect(lines[0]?.fields).toMatchObject({ error: 'commit failed: No space left on device (code 28)' });
  });
});
