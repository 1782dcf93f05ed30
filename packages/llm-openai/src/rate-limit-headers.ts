import { parseGoDuration } from './go-duration.js';
import { parseRetryHintText } from './retry-hint-text.js';

/** A response's headers: fetch `Headers`, or a plain record such as Node's incoming headers. */
export type HeadersLike = Headers | Record<string, string | string[] | undefined>;

/** One limit as the `x-ratelimit-*` headers describe it; a field is undefined when missing or meaningless (e.g. -1). */
export interface RateLimitWindow {
  limit?: number;
  remaining?: number;
  /** Time until the window is fully replenished (OpenAI's "reset"), in milliseconds. */
  resetMs?: number;
}

export interface RateLimitInfo {
  requests: RateLimitWindow;
  tokens: RateLimitWindow;
}

function headerValue(headers: HeadersLike, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value[0] : value;
}

function parseCount(text: string | undefined, minimum: number): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) && value >= minimum ? value : undefined;
}

function parseWindow(headers: HeadersLike, suffix: 'requests' | 'tokens'): RateLimitWindow {
  const window: RateLimitWindow = {};
  // Azure has answered with limit -1, remaining -1 and reset 0: "unknown", not "exhausted".
  const limit = parseCount(headerValue(headers, `x-ratelimit-limit-${suffix}`), 1);
  const remaining = parseCount(headerValue(headers, `x-ratelimit-remaining-${suffix}`), 0);
  const resetText = headerValue(headers, `x-ratelimit-reset-${suffix}`);
  const reset = resetText === undefined ? undefined : parseGoDuration(resetText);
  if (limit !== undefined) window.limit = limit;
  if (remaining !== undefined) window.remaining = remaining;
  if (reset !== undefined && !(reset === 0 && limit === undefined)) window.resetMs = reset;
  return window;
}

/** Reads OpenAI's `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` headers. They are hints: any may be missing. */
export function parseRateLimitHeaders(headers: HeadersLike): RateLimitInfo {
  return { requests: parseWindow(headers, 'requests'), tokens: parseWindow(headers, 'tokens') };
}

/**
 * How long a rate-limited (or overloaded) endpoint explicitly asks us to wait, in milliseconds, from the
 * most precise source present: `retry-after-ms` (Azure), `retry-after` (seconds or an HTTP date), then
 * the "Please try again in 1.2s" / "in 59 seconds" / "Please retry after 37 seconds" text of the error
 * message. The `x-ratelimit-reset-*` headers are not a hint: they give the time until the bucket is
 * full, not until one request fits (see `estimateRateLimitWaitMs`).
 */
export function parseRetryAfterMs(
  headers: HeadersLike | undefined,
  message?: string,
  now: number = Date.now(),
): number | undefined {
  if (headers) {
    const milliseconds = parseCount(headerValue(headers, 'retry-after-ms'), 0);
    if (milliseconds !== undefined) return milliseconds;
    const retryAfter = headerValue(headers, 'retry-after');
    if (retryAfter !== undefined && retryAfter.trim() !== '') {
      const seconds = parseCount(retryAfter, 0);
      if (seconds !== undefined) return seconds * 1000;
      const date = Date.parse(retryAfter);
      if (Number.isFinite(date)) return Math.max(0, date - now);
    }
  }
  return message ? parseRetryHintText(message) : undefined;
}
