import { mkdtempSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QueueStore } from './queue-store.js';
import { verifyStore } from './store-verification.js';

let directory: string;
let path: string;
beforeEach(async () => {
  directory = mkdtempSync(join(tmpdir(), 'semtel-store-verification-'));
  path = join(directory, 'durable_queue.mdb');
  const store = QueueStore.open(path, 'batch');
  for (let id = 1; id <= 30; id++)
    await store.partition(id % 2 === 0 ? 'traces' : 'logs').put(id, new Uint8Array(9000).fill(id));
  await store.close();
});
afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

const options = { timeoutMs: 30_000 };

describe('verifyStore', () => {
  it('reads every entry of every signal of a sound store', async () => {
    // More than once: a reader that crashed now and then on a sound store would move data aside.
    for (let round = 0; round < 5; round++) {
      expect(await verifyStore(path, options)).toEqual({ state: 'sound', entries: 30, bytes: 30 * 9000 });
    }
  });

  it('finds a truncated store damaged, before reading past its end', async () => {
    truncateSync(path, Math.floor(statSync(path).size / 2));
    expect(await verifyStore(path, options)).toMatchObject({
      state: 'damaged',
      reason: expect.stringMatching(/^truncated/),
    });
  });

  it('finds a store of random bytes damaged', async () => {
    const size = statSync(path).size;
    writeFileSync(path, Buffer.from(Array.from({ length: size }, (_, index) => (index * 7919 + 13) % 251)));
    expect((await verifyStore(path, options)).state).toBe('damaged');
  });
});
