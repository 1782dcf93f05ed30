import type { RateLimitInfo, RateLimitWindow } from './rate-limit-headers.js';

/** What the request that was refused needs from each window. */
export interface RateLimitCharge {
  requests: number;
  tokens: number;
}

/** Per-minute rates known locally (config or earlier headers), used when a response omits `x-ratelimit-limit-*`. */
export interface KnownRates {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
}

/**
 * How long until a refused request's charge fits again, from the `x-ratelimit-*` headers of the 429:
 * for each window short of what the request needs, the shortfall at the window's refill rate. OpenAI's
 * `reset` is the time until the bucket is *full* (`6m0s` for an empty token bucket), far longer than
 * the time until one request fits; the refill rate is what the bucket lacks divided by that time,
 * `(limit - remaining) / reset`. Undefined when no window is short (or nothing is known), so the
 * caller backs off instead.
 */
export function estimateRateLimitWaitMs(
  info: RateLimitInfo | undefined,
  charge: RateLimitCharge,
  known: KnownRates = {},
): number | undefined {
  if (!info) return undefined;
  const waits = [
    windowWaitMs(info.requests, charge.requests, known.requestsPerMinute),
    windowWaitMs(info.tokens, charge.tokens, known.tokensPerMinute),
  ].filter((wait): wait is number => wait !== undefined);
  return waits.length === 0 ? undefined : Math.max(...waits);
}

function windowWaitMs(window: RateLimitWindow, needed: number, knownPerMinute: number | undefined): number | undefined {
  const { limit, remaining, resetMs } = window;
  if (remaining === undefined) return undefined;
  // A request larger than the whole window is charged once the bucket is full.
  const target = limit !== undefined ? Math.min(needed, limit) : needed;
  if (remaining >= target) return undefined;
  const shortfall = target - remaining;
  if (limit !== undefined && resetMs !== undefined && resetMs > 0 && limit > remaining) {
    return Math.ceil((shortfall * resetMs) / (limit - remaining));
  }
  const perMinute = limit ?? knownPerMinute;
  if (perMinute !== undefined && perMinute > 0) return Math.ceil((shortfall * 60_000) / perMinute);
  // Only the time to a full bucket is known: an upper bound, which the caller caps.
  return resetMs;
}
