import { describe, expect, it } from 'vitest';
import { storeWriteError } from './store-write-error.js';

/** What lmdb-js rejects a write with when its commit failed: the cause only in `commitError`. */
function lmdbCommitFailure(cause: Error & { code?: number }): Error {
  const commitError = Promise.reject(cause);
  return Object.assign(new Error('Commit failed (see commitError for details)'), { commitError });
}

describe('storeWriteError', () => {
  it('reports the cause of a failed commit and handles its promise', async () => {
    // Unhandled, the rejected commitError would fail this test run as an unhandled rejection.
    const error = await storeWriteError(
      lmdbCommitFailure(Object.assign(new Error('No space left on device'), { code: 28 })),
    );
    expect(error.message).toBe('commit failed: No space left on device (code 28)');
    expect((error.cause as Error).message).toBe('No space left on device');
  });

  it('passes any other error through', async () => {
    const original = new Error('Database is closed');
    expect(await storeWriteError(original)).toBe(original);
    expect((await storeWriteError('odd')).message).toBe('odd');
  });
});
