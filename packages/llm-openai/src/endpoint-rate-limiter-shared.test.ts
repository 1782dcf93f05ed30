import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EndpointRateLimiter, sharedLimitSaturatedCode } from './endpoint-rate-limiter.js';
import { LlmError } from './llm-error.js';
import { parseRateLimitHeaders } from './rate-limit-headers.js';
import type { SharedRateLimitEndpoint, SharedRateLimitGrant, SharedRateLimiter } from './shared-rate-limiter.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

interface Call {
  method: 'acquire' | 'refund' | 'lowerTo';
  endpoint: SharedRateLimitEndpoint;
  argument: unknown;
}

/** A shared limiter that answers from a script of grants, and records what it was asked. */
function scriptedLimiter(grants: (SharedRateLimitGrant | Error)[]): SharedRateLimiter & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    acquire(endpoint, tokens, requests) {
      calls.push({ method: 'acquire', endpoint, argument: { tokens, requests } });
      const next = grants.shift() ?? { granted: true };
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
    },
    refund(endpoint, tokens) {
      calls.push({ method: 'refund', endpoint, argument: tokens });
      return Promise.resolve();
    },
    lowerTo(endpoint, remaining) {
      calls.push({ method: 'lowerTo', endpoint, argument: remaining });
      return Promise.resolve();
    },
  };
}

function tracked(promise: Promise<void>): { done: () => boolean; error: () => unknown } {
  let done = false;
  let error: unknown;
  promise.then(
    () => (done = true),
    (thrown: unknown) => (error = thrown),
  );
  return { done: () => done, error: () => error };
}

describe('EndpointRateLimiter with a shared limit', () => {
  it('takes the charge from the shared limit too, keyed by endpoint name and sized by the limits in force', async () => {
    const shared = scriptedLimiter([]);
    const limiter = new EndpointRateLimiter({
      tokensPerMinute: 6000,
      requestsPerMinute: 120,
      shared: { limiter: shared, endpoint: 'east', maxWaitMs: 15_000 },
    });
    await limiter.acquire(500);
    expect(shared.calls).toEqual([
      {
        method: 'acquire',
        endpoint: { name: 'east', tokensPerMinute: 6000, requestsPerMinute: 120, requestBurst: 20 },
        argument: { tokens: 500, requests: 1 },
      },
    ]);
  });

  it('waits as long as the shared limit says, then asks again', async () => {
    const shared = scriptedLimiter([{ granted: false, retryAfterMs: 2000 }, { granted: true }]);
    const limiter = new EndpointRateLimiter({
      tokensPerMinute: 6000,
      shared: { limiter: shared, endpoint: 'east', maxWaitMs: 15_000 },
    });
    const request = tracked(limiter.acquire(500));
    await vi.advanceTimersByTimeAsync(1900);
    expect(request.done()).toBe(false);
    expect(shared.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(request.done()).toBe(true);
    expect(shared.calls).toHaveLength(2);
  });

  it('fails at once with rate_limited when the shared wait would pass maxWaitMs, and gives the local charge back', async () => {
    const shared = scriptedLimiter([{ granted: false, retryAfterMs: 20_000 }]);
    const limiter = new EndpointRateLimiter({
      tokensPerMinute: 6000,
      shared: { limiter: shared, endpoint: 'east', maxWaitMs: 15_000 },
    });
    const error = await limiter.acquire(5000).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(LlmError);
    expect(error).toMatchObject({ kind: 'rate_limited', code: sharedLimitSaturatedCode, retryAfterMs: 20_000 });
    // Nothing is sent, so the local bucket is full again and the shared limit is not refunded.
    expect(limiter.estimatedWaitMs(6000)).toBe(0);
    expect(shared.calls.filter((call) => call.method === 'refund')).toEqual([]);
  });

  it('fails open when the shared limiter rejects: the request goes on under the local limits', async () => {
    const shared = scriptedLimiter([new Error('connection refused')]);
    const errors: unknown[] = [];
    const limiter = new EndpointRateLimiter({
      tokensPerMinute: 6000,
      shared: { limiter: shared, endpoint: 'east', maxWaitMs: 15_000, onError: (error) => errors.push(error) },
    });
    await limiter.acquire(5000);
    expect(errors).toHaveLength(1);
    // The local charge stands.
    expect(limiter.estimatedWaitMs(2000)).toBeGreaterThan(0);
  });

  it('ends a shared wait with aborted when the signal fires, giving the local charge back', async () => {
    const shared = scriptedLimiter([{ granted: false, retryAfterMs: 10_000 }]);
    const limiter = new EndpointRateLimiter({
      tokensPerMinute: 6000,
      shared: { limiter: shared, endpoint: 'east', maxWaitMs: 15_000 },
    });
    const controller = new AbortController();
    const request = tracked(limiter.acquire(5000, controller.signal));
    await vi.advanceTimersByTimeAsync(100);
    controller.abort();
    await vi.advanceTimersByTimeAsync(1);
    expect(request.error()).toMatchObject({ kind: 'aborted' });
    expect(limiter.estimatedWaitMs(6000)).toBe(0);
  });

  it('keeps the shared charge of an answered request, and lowers it to what the endpoint says is left', async () => {
    const shared = scriptedLimiter([]);
    const limiter = new EndpointRateLimiter({
      tokensPerMinute: 6000,
      shared: { limiter: shared, endpoint: 'east', maxWaitMs: 15_000 },
    });
    await limiter.acquire(1000);
    limiter.settle(1000, 400);
    limiter.settle(1000, 1300);
    limiter.observe(
      parseRateLimitHeaders({ 'x-ratelimit-limit-tokens': '6000', 'x-ratelimit-remaining-tokens': '4200' }),
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(shared.calls.slice(1)).toEqual([
      { method: 'refund', endpoint: { name: 'east', tokensPerMinute: 6000 }, argument: -300 },
      { method: 'lowerTo', endpoint: { name: 'east', tokensPerMinute: 6000 }, argument: { tokens: 4200 } },
    ]);
  });

  it('settles with the shared limit when refunding unused tokens', async () => {
    const shared = scriptedLimiter([]);
    const limiter = new EndpointRateLimiter({
      tokensPerMinute: 6000,
      refundUnused: true,
      shared: { limiter: shared, endpoint: 'east', maxWaitMs: 15_000 },
    });
    await limiter.acquire(1000);
    limiter.settle(1000, 400);
    limiter.observe(
      parseRateLimitHeaders({ 'x-ratelimit-limit-tokens': '6000', 'x-ratelimit-remaining-tokens': '4200' }),
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(shared.calls.slice(1)).toEqual([
      { method: 'refund', endpoint: { name: 'east', tokensPerMinute: 6000 }, argument: 600 },
      { method: 'lowerTo', endpoint: { name: 'east', tokensPerMinute: 6000 }, argument: { tokens: 4200 } },
    ]);
  });

  it('asks nothing of the shared limiter while no limit is known', async () => {
    const shared = scriptedLimiter([{ granted: false, retryAfterMs: 60_000 }]);
    const limiter = new EndpointRateLimiter({ shared: { limiter: shared, endpoint: 'east', maxWaitMs: 15_000 } });
    await limiter.acquire(1000);
    expect(shared.calls).toEqual([]);
  });
});
