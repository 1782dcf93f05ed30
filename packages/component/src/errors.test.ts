import { describe, expect, it } from 'vitest';
import { errorMessage, isPermanentError, isRetryableError, PermanentError, RetryableError } from './errors.js';

describe('RetryableError', () => {
  it('carries the retry delay and whether it is throttling, defaulting to plain unavailability', () => {
    const plain = new RetryableError('queue is full');
    expect(plain).toBeInstanceOf(Error);
    expect(plain.name).toBe('RetryableError');
    expect(plain.message).toBe('queue is full');
    expect(plain.retryAfterMs).toBeUndefined();
    expect(plain.throttled).toBe(false);
    const cause = new Error('ECONNRESET');
    const throttled = new RetryableError('rate limited', { retryAfterMs: 2500, throttled: true, cause });
    expect(throttled.retryAfterMs).toBe(2500);
    expect(throttled.throttled).toBe(true);
    expect(throttled.cause).toBe(cause);
  });
});

describe('PermanentError', () => {
  it('says whether the data itself is bad, defaulting to no', () => {
    expect(new PermanentError('misconfigured').badData).toBe(false);
    const bad = new PermanentError('span has no trace id', { badData: true });
    expect(bad.badData).toBe(true);
    expect(bad.name).toBe('PermanentError');
  });
});

describe('classification', () => {
  it('tells retryable from permanent from anything else', () => {
    const retryable = new RetryableError('later');
    const permanent = new PermanentError('never');
    for (const [error, isRetryable, isPermanent] of [
      [retryable, true, false],
      [permanent, false, true],
      [new Error('unknown'), false, false],
      ['a string', false, false],
      [undefined, false, false],
      [{ name: 'RetryableError', message: 'look-alike' }, false, false],
    ] as const) {
      expect(isRetryableError(error)).toBe(isRetryable);
      expect(isPermanentError(error)).toBe(isPermanent);
    }
  });

  it('gives a message for anything thrown', () => {
    expect(errorMessage(new PermanentError('bad'))).toBe('bad');
    expect(errorMessage('text')).toBe('text');
    expect(errorMessage(42)).toBe('42');
    expect(errorMessage(undefined)).toBe('undefined');
  });
});
