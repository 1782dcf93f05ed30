import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QueueStore } from './queue-store.js';

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'semtel-queue-store-'));
});
afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

const body = (bytes: number, fill: number): Uint8Array => new Uint8Array(bytes).fill(fill);

describe('QueueStore', () => {
  it('replays every entry with its true size, read from the keys', async () => {
    const path = join(directory, 'queue.mdb');
    const first = QueueStore.open(path, 'batch');
    const sizes = [10, 5_000, 300_000, 2_000_000];
    await Promise.all(sizes.map((bytes, index) => first.partition('traces').put(index + 1, body(bytes, index))));
    await first.close();

    const second = QueueStore.open(path, 'batch');
    const traces = second.partition('traces');
    expect(traces.entries()).toEqual(sizes.map((bytes, index) => ({ id: index + 1, bytes })));
    expect(traces.get(3)?.length).toBe(300_000);
    await traces.remove(3);
    expect(traces.get(3)).toBeUndefined();
    expect(second.partition('logs').entries()).toEqual([]);
    await second.close();
  });

  it('replays a store written before sizes were kept in the keys', async () => {
    const path = join(directory, 'legacy.mdb');
    // The earlier layout: the bare id as the key.
    const legacy = open<Uint8Array, number>({
      path,
      noSubdir: true,
      encoding: 'binary',
      compression: false,
      maxDbs: 4,
    });
    const database = legacy.openDB<Uint8Array, number>('traces', { encoding: 'binary', compression: false });
    await database.put(7, body(1234, 7));
    await database.put(9, body(56, 9));
    await legacy.close();

    const store = QueueStore.open(path, 'batch');
    const traces = store.partition('traces');
    expect(traces.entries()).toEqual([
      { id: 7, bytes: 1234 },
      { id: 9, bytes: 56 },
    ]);
    expect([...(traces.get(9) ?? [])]).toEqual([...body(56, 9)]);
    await traces.remove(7);
    await traces.put(10, body(3, 1));
    await store.close();

    const reopened = QueueStore.open(path, 'batch');
    expect(reopened.partition('traces').entries()).toEqual([
      { id: 9, bytes: 56 },
      { id: 10, bytes: 3 },
    ]);
    await reopened.close();
  });
});
