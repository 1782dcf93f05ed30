import type { Logger } from '@semtel/component';
import { noopLogger, RetryableError } from '@semtel/component';
import { describe, expect, it } from 'vitest';
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

function createQueue(
  partition: QueuePartition,
  delivered: string[],
  settings: { logger?: Logger } = {},
): SignalQueue<string> {
  return new SignalQueue<string>({
    signal: 'logs',
    partition,
    codec: textCodec,
    deliver: async (text) => {
      delivered.push(text);
    },
    capacity: new QueueCapacity(1024, 10),
    maxInFlight: 2,
    backoff: { initialMs: 5, maxMs: 20, multiplier: 2 },
    fullRetryAfterMs: 1000,
    logger: settings.logger ?? noopLogger,
    events: noEvents,
  });
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
