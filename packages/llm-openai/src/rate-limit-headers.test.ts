import { describe, expect, it } from 'vitest';
import { parseRateLimitHeaders, parseRetryAfterMs } from './rate-limit-headers.js';

describe('parseRateLimitHeaders', () => {
  it('reads limits, remaining and Go-duration resets for requests and tokens', () => {
    const headers = new Headers({
      'x-ratelimit-limit-requests': '60',
      'x-ratelimit-limit-tokens': '150000',
      'x-ratelimit-remaining-requests': '59',
      'x-ratelimit-remaining-tokens': '149984',
      'x-ratelimit-reset-requests': '1s',
      'x-ratelimit-reset-tokens': '6m0s',
    });
    expect(parseRateLimitHeaders(headers)).toEqual({
      requests: { limit: 60, remaining: 59, resetMs: 1000 },
      tokens: { limit: 150_000, remaining: 149_984, resetMs: 360_000 },
    });
  });

  it('treats missing headers and Azure -1 values as unknown', () => {
    expect(parseRateLimitHeaders(new Headers())).toEqual({ requests: {}, tokens: {} });
    const azure = {
      'x-ratelimit-limit-tokens': '-1',
      'x-ratelimit-remaining-tokens': '-1',
      'x-ratelimit-reset-tokens': '0',
      'x-ratelimit-remaining-requests': '0',
    };
    expect(parseRateLimitHeaders(azure)).toEqual({ requests: { remaining: 0 }, tokens: {} });
  });

  it('reads plain records case-insensitively', () => {
    expect(
      parseRateLimitHeaders({ 'X-RateLimit-Limit-Requests': '10', 'x-ratelimit-reset-requests': '12ms' }).requests,
    ).toEqual({ limit: 10, resetMs: 12 });
  });
});

describe('parseRetryAfterMs', () => {
  it('prefers retry-after-ms, then retry-after seconds', () => {
    expect(
      parseRetryAfterMs(new Headers({ 'retry-after-ms': '250', 'retry-after': '3' }), 'Please try again in 1.2s'),
    ).toBe(250);
    expect(parseRetryAfterMs(new Headers({ 'retry-after': '3' }), 'Please try again in 1.2s')).toBe(3000);
  });

  it('reads retry-after as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfterMs(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }), undefined, now)).toBe(
      5000,
    );
  });

  it('falls back to the message hint, OpenAI and Azure style', () => {
    expect(
      parseRetryAfterMs(new Headers(), 'Rate limit reached for gpt-4o-mini ... Please try again in 1.2s. Visit ...'),
    ).toBe(1200);
    expect(
      parseRetryAfterMs(new Headers(), 'Limit 200000, Used 195869, Requested 4412. Please try again in 84ms.'),
    ).toBe(84);
    expect(parseRetryAfterMs(undefined, 'Please try again in 1m30.5s.')).toBe(90_500);
    expect(parseRetryAfterMs(new Headers(), 'Rate limit exceeded. Please try again in 59 seconds.')).toBe(59_000);
    expect(parseRetryAfterMs(new Headers(), 'Too many requests, try again in 1 minute.')).toBe(60_000);
    expect(
      parseRetryAfterMs(
        new Headers(),
        'exceeded token rate limit of your current AIServices S0 pricing tier. Please retry after 37 seconds.',
      ),
    ).toBe(37_000);
  });

  it('does not take the reset of an exhausted window (time to a full bucket) as a hint', () => {
    const headers = new Headers({
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '12ms',
      'x-ratelimit-remaining-tokens': '0',
      'x-ratelimit-reset-tokens': '6m0s',
    });
    expect(parseRetryAfterMs(headers)).toBeUndefined();
    expect(parseRetryAfterMs(headers, 'Rate limit reached. Please try again in 84ms.')).toBe(84);
  });
});
