import { describe, expect, it } from 'vitest';
import { LlmError } from './llm-error.js';
import { RetryPolicy } from './retry-policy.js';

const policy = (maxAttempts = 3): RetryPolicy =>
  new RetryPolicy({ maxAttempts, initialBackoffMs: 1, maxBackoffMs: 4, maxRetryDelayMs: 1000, random: () => 0.5 });

describe('RetryPolicy', () => {
  it('retries retryable errors until success', async () => {
    const kinds = ['rate_limited', 'server'] as const;
    const attempts: number[] = [];
    const result = await policy().run(async (attempt) => {
      attempts.push(attempt);
      const kind = kinds[attempt - 1];
      if (kind) throw new LlmError(kind, kind);
      return 'done';
    });
    expect(result).toBe('done');
    expect(attempts).toEqual([1, 2, 3]);
  });

  it('gives up after the last attempt, and at once on errors that must not be retried', async () => {
    let calls = 0;
    await expect(
      policy(2).run(async () => {
        calls += 1;
        throw new LlmError('network', 'down');
      }),
    ).rejects.toMatchObject({ kind: 'network' });
    expect(calls).toBe(2);
    calls = 0;
    await expect(
      policy().run(async () => {
        calls += 1;
        throw new LlmError('quota_exhausted', 'quota');
      }),
    ).rejects.toMatchObject({ kind: 'quota_exhausted' });
    expect(calls).toBe(1);
  });

  it('waits at least retryAfterMs, and hands over delays longer than the maximum', () => {
    expect(policy().delayFor(new LlmError('rate_limited', 'x', { retryAfterMs: 300 }), 1)).toBeGreaterThanOrEqual(300);
    expect(policy().delayFor(new LlmError('rate_limited', 'x', { retryAfterMs: 5000 }), 1)).toBeUndefined();
    const backoff = new RetryPolicy({
      maxAttempts: 9,
      initialBackoffMs: 100,
      maxBackoffMs: 1000,
      maxRetryDelayMs: 1000,
      random: () => 1,
    });
    expect([1, 2, 3, 4, 5].map((attempt) => backoff.delayFor(new LlmError('server', 'x'), attempt))).toEqual([
      100, 200, 400, 800, 1000,
    ]);
  });

  it('stops waiting when the caller aborts, with the last error', async () => {
    const controller = new AbortController();
    const slow = new RetryPolicy({ maxAttempts: 3, initialBackoffMs: 1, maxBackoffMs: 1, maxRetryDelayMs: 60_000 });
    const run = slow.run(
      async () => {
        throw new LlmError('rate_limited', 'slow down', { retryAfterMs: 30_000 });
      },
      controller.signal,
      () => controller.abort(),
    );
    await expect(run).rejects.toMatchObject({ kind: 'rate_limited' });
    await expect(policy().run(async () => 'never', controller.signal)).rejects.toMatchObject({ kind: 'aborted' });
  });
});
