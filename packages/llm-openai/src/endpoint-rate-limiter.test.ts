import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EndpointRateLimiter } from './endpoint-rate-limiter.js';
import { LlmError } from './llm-error.js';
import { parseRateLimitHeaders } from './rate-limit-headers.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

function tracked(promise: Promise<void>): { done: () => boolean; error: () => unknown } {
  let done = false;
  let error: unknown;
  promise.then(
    () => (done = true),
    (thrown: unknown) => (error = thrown),
  );
  return { done: () => done, error: () => error };
}

describe('EndpointRateLimiter', () => {
  it('charges tokens before sending and makes the next request wait for the refill', async () => {
    const limiter = new EndpointRateLimiter({ tokensPerMinute: 6000 });
    await limiter.acquire(5000);
    const second = tracked(limiter.acquire(2000));
    await vi.advanceTimersByTimeAsync(9_000);
    expect(second.done()).toBe(false);
    await vi.advanceTimersByTimeAsync(1_100);
    expect(second.done()).toBe(true);
  });

  it('paces requests per minute with a burst of ten seconds of the rate', async () => {
    const limiter = new EndpointRateLimiter({ requestsPerMinute: 60 });
    for (let index = 0; index < 10; index += 1) await limiter.acquire(1);
    const eleventh = tracked(limiter.acquire(1));
    await vi.advanceTimersByTimeAsync(500);
    expect(eleventh.done()).toBe(false);
    await vi.advanceTimersByTimeAsync(600);
    expect(eleventh.done()).toBe(true);
  });

  it('serves waiters first come, first served, so a large request is not starved', async () => {
    const limiter = new EndpointRateLimiter({ tokensPerMinute: 600 });
    await limiter.acquire(600);
    const order: string[] = [];
    const large = limiter.acquire(500).then(() => order.push('large'));
    const small = limiter.acquire(10).then(() => order.push('small'));
    await vi.advanceTimersByTimeAsync(60_000);
    await Promise.all([large, small]);
    expect(order).toEqual(['large', 'small']);
  });

  it('keeps the whole charge of an answered request (the endpoint counts max_tokens), and takes usage beyond it', async () => {
    const limiter = new EndpointRateLimiter({ tokensPerMinute: 1000 });
    await limiter.acquire(1000);
    limiter.settle(1000, 400);
    expect(limiter.estimatedWaitMs(600)).toBeGreaterThan(0);
    limiter.settle(1000, undefined);
    limiter.release(1000);
    expect(limiter.estimatedWaitMs(1000)).toBe(0);
    limiter.settle(100, 700);
    expect(limiter.estimatedWaitMs(1000)).toBeGreaterThan(0);
  });

  it('refunds what a request did not use only when told to (gateways that count usage)', async () => {
    const limiter = new EndpointRateLimiter({ tokensPerMinute: 1000, refundUnused: true });
    await limiter.acquire(1000);
    limiter.settle(1000, 400);
    expect(limiter.estimatedWaitMs(600)).toBe(0);
    limiter.settle(100, 700);
    expect(limiter.estimatedWaitMs(600)).toBeGreaterThan(0);
  });

  it('gives a request the whole charge back when it never reached the endpoint', async () => {
    const limiter = new EndpointRateLimiter({ tokensPerMinute: 1000 });
    await limiter.acquire(800);
    limiter.release(800);
    expect(limiter.estimatedWaitMs(1000)).toBe(0);
  });

  it('learns limits from headers, lowers to the remaining the endpoint reports, never raises', async () => {
    const limiter = new EndpointRateLimiter({});
    expect(limiter.limits).toEqual({});
    limiter.observe(
      parseRateLimitHeaders({
        'x-ratelimit-limit-requests': '120',
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': '500ms',
        'x-ratelimit-limit-tokens': '30000',
        'x-ratelimit-remaining-tokens': '29000',
        'x-ratelimit-reset-tokens': '2s',
      }),
    );
    expect(limiter.limits).toEqual({ requestsPerMinute: 120, tokensPerMinute: 30_000 });
    const next = tracked(limiter.acquire(100));
    await vi.advanceTimersByTimeAsync(400);
    expect(next.done()).toBe(false);
    await vi.advanceTimersByTimeAsync(200);
    expect(next.done()).toBe(true);
    limiter.observe(parseRateLimitHeaders({ 'x-ratelimit-remaining-tokens': '999999' }));
    expect(limiter.estimatedWaitMs(29_500)).toBeGreaterThan(0);
  });

  it('corrects a configured capacity down when the endpoint announces a lower limit (Azure temporary cut)', () => {
    const limiter = new EndpointRateLimiter({ tokensPerMinute: 100_000 });
    limiter.observe(parseRateLimitHeaders({ 'x-ratelimit-limit-tokens': '50000' }));
    expect(limiter.limits.tokensPerMinute).toBe(50_000);
    expect(limiter.fits(60_000)).toBe(false);
    expect(limiter.fits(50_000)).toBe(true);
  });

  it('keeps its state when headers are missing or -1, and ignores Azure request limits when told to', () => {
    const limiter = new EndpointRateLimiter({ requestsPerMinute: 600, ignoreRequestLimitHeader: true });
    limiter.observe(parseRateLimitHeaders({}));
    limiter.observe(
      parseRateLimitHeaders({
        'x-ratelimit-limit-tokens': '-1',
        'x-ratelimit-remaining-tokens': '-1',
        'x-ratelimit-reset-tokens': '0',
        'x-ratelimit-limit-requests': '10',
      }),
    );
    expect(limiter.limits).toEqual({ requestsPerMinute: 600 });
    expect(limiter.fits(1_000_000)).toBe(true);
  });

  it('pauses every request after a retry-after', async () => {
    const limiter = new EndpointRateLimiter({});
    limiter.pause(1000);
    const waiting = tracked(limiter.acquire(1));
    await vi.advanceTimersByTimeAsync(900);
    expect(waiting.done()).toBe(false);
    expect(limiter.estimatedWaitMs(1)).toBeGreaterThan(0);
    await vi.advanceTimersByTimeAsync(200);
    expect(waiting.done()).toBe(true);
  });

  it('drops a waiter whose signal fires, with an aborted error, and serves the next one', async () => {
    const limiter = new EndpointRateLimiter({ tokensPerMinute: 60 });
    await limiter.acquire(60);
    const controller = new AbortController();
    const aborted = tracked(limiter.acquire(60, controller.signal));
    const next = tracked(limiter.acquire(1));
    controller.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(aborted.error()).toBeInstanceOf(LlmError);
    expect((aborted.error() as LlmError).kind).toBe('aborted');
    expect(limiter.queued).toBe(1);
    await vi.advanceTimersByTimeAsync(1100);
    expect(next.done()).toBe(true);
  });
});
