import { describe, expect, it } from 'vitest';
import { parseRateLimitHeaders } from './rate-limit-headers.js';
import { estimateRateLimitWaitMs } from './rate-limit-wait.js';

describe('estimateRateLimitWaitMs', () => {
  it('waits until this request’s tokens fit, not until the bucket is full', () => {
    // 150k TPM, 1000 left, full again in 6m0s: the bucket refills at 149k per 6 minutes.
    const info = parseRateLimitHeaders({
      'x-ratelimit-limit-tokens': '150000',
      'x-ratelimit-remaining-tokens': '1000',
      'x-ratelimit-reset-tokens': '6m0s',
    });
    const wait = estimateRateLimitWaitMs(info, { requests: 1, tokens: 5000 });
    expect(wait).toBe(Math.ceil((4000 * 360_000) / 149_000));
    expect(wait).toBeLessThan(10_000);
  });

  it('takes the longer of the request and token windows', () => {
    const info = parseRateLimitHeaders({
      'x-ratelimit-limit-requests': '60',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '1m0s',
      'x-ratelimit-limit-tokens': '150000',
      'x-ratelimit-remaining-tokens': '149000',
      'x-ratelimit-reset-tokens': '400ms',
    });
    expect(estimateRateLimitWaitMs(info, { requests: 1, tokens: 500 })).toBe(1000);
  });

  it('uses a known rate when the limit header is missing, and the reset only as a last resort', () => {
    const noLimit = parseRateLimitHeaders({ 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '6m0s' });
    expect(estimateRateLimitWaitMs(noLimit, { requests: 1, tokens: 6000 }, { tokensPerMinute: 60_000 })).toBe(6000);
    expect(estimateRateLimitWaitMs(noLimit, { requests: 1, tokens: 6000 })).toBe(360_000);
  });

  it('caps a request larger than the whole window at a full bucket', () => {
    const info = parseRateLimitHeaders({
      'x-ratelimit-limit-tokens': '10000',
      'x-ratelimit-remaining-tokens': '0',
      'x-ratelimit-reset-tokens': '1m0s',
    });
    expect(estimateRateLimitWaitMs(info, { requests: 1, tokens: 50_000 })).toBe(60_000);
  });

  it('says nothing when no window is short, or headers are missing or -1', () => {
    const roomy = parseRateLimitHeaders({
      'x-ratelimit-limit-tokens': '150000',
      'x-ratelimit-remaining-tokens': '100000',
      'x-ratelimit-reset-tokens': '20s',
    });
    expect(estimateRateLimitWaitMs(roomy, { requests: 1, tokens: 5000 })).toBeUndefined();
    expect(estimateRateLimitWaitMs(parseRateLimitHeaders({}), { requests: 1, tokens: 5000 })).toBeUndefined();
    const azure = parseRateLimitHeaders({
      'x-ratelimit-limit-tokens': '-1',
      'x-ratelimit-remaining-tokens': '-1',
      'x-ratelimit-reset-tokens': '0',
    });
    expect(estimateRateLimitWaitMs(azure, { requests: 1, tokens: 5000 })).toBeUndefined();
    expect(estimateRateLimitWaitMs(undefined, { requests: 1, tokens: 5000 })).toBeUndefined();
  });
});
