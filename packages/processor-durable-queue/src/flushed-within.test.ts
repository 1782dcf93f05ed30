import { describe, expect, it } from 'vitest';
import { flushedWithin } from './flushed-within.js';

describe('flushedWithin', () => {
  it('resolves when the flush does', async () => {
    await expect(flushedWithin(Promise.resolve(), 1000)).resolves.toBeUndefined();
  });

  it('refuses, saying why, when the flush never settles (lmdb-js after a failed flush)', async () => {
    const never = new Promise<void>(() => {});
    await expect(flushedWithin(never, 20)).rejects.toThrow(/did not flush to disk within 20 ms/);
  });

  it('passes a failed flush on', async () => {
    await expect(flushedWithin(Promise.reject(new Error('EIO')), 1000)).rejects.toThrow('EIO');
  });
});
