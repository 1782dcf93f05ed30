/** Requests and tokens per minute the fake enforces, like an OpenAI project or an Azure deployment. */
export interface FakeRateLimits {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  /**
   * Send the `x-ratelimit-*` headers (default true). `false` enforces the limits all the same, as the
   * endpoints that answer without those headers do, so clients must keep count themselves.
   */
  headers?: boolean;
}

export type RateLimitVerdict =
  | { allowed: true }
  | { allowed: false; type: 'requests' | 'tokens'; retryAfterMs: number }
  | { allowed: false; type: 'too_large'; limit: number; requested: number };

/**
 * A bucket that refills continuously at limit/minute up to the limit, the usual model of
 * OpenAI's limits ("reset" = time until the bucket is full again).
 */
class TokenBucket {
  private level: number;
  private updatedAt: number;

  constructor(
    readonly limit: number,
    now: number,
  ) {
    this.level = limit;
    this.updatedAt = now;
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.updatedAt);
    this.level = Math.min(this.limit, this.level + (elapsed * this.limit) / 60_000);
    this.updatedAt = now;
  }

  remaining(now: number): number {
    this.refill(now);
    return Math.floor(this.level);
  }

  millisecondsUntilAvailable(amount: number, now: number): number {
    this.refill(now);
    return this.level >= amount ? 0 : Math.ceil(((amount - this.level) * 60_000) / this.limit);
  }

  millisecondsUntilFull(now: number): number {
    return this.millisecondsUntilAvailable(this.limit, now);
  }

  take(amount: number, now: number): void {
    this.refill(now);
    this.level -= amount;
  }
}

/**
 * RPM and TPM enforcement with the `x-ratelimit-*` headers OpenAI sends. A request is charged
 * its prompt tokens plus its `max_tokens` (`max_completion_tokens`), when it arrives, and keeps that
 * charge however few tokens the answer uses, as OpenAI and Azure count it. Rejected requests are not
 * charged, which is kinder than OpenAI (it counts failed requests) and keeps tests from spiralling.
 */
export class FakeRateLimiter {
  private readonly requests: TokenBucket | undefined;
  private readonly tokens: TokenBucket | undefined;
  private readonly sendHeaders: boolean;

  constructor(
    limits: FakeRateLimits,
    private readonly now: () => number = Date.now,
  ) {
    this.sendHeaders = limits.headers ?? true;
    const start = now();
    this.requests = limits.requestsPerMinute ? new TokenBucket(limits.requestsPerMinute, start) : undefined;
    this.tokens = limits.tokensPerMinute ? new TokenBucket(limits.tokensPerMinute, start) : undefined;
  }

  admit(tokenCost: number): RateLimitVerdict {
    const now = this.now();
    if (this.tokens && tokenCost > this.tokens.limit) {
      return { allowed: false, type: 'too_large', limit: this.tokens.limit, requested: tokenCost };
    }
    const requestWait = this.requests?.millisecondsUntilAvailable(1, now) ?? 0;
    if (requestWait > 0) return { allowed: false, type: 'requests', retryAfterMs: requestWait };
    const tokenWait = this.tokens?.millisecondsUntilAvailable(tokenCost, now) ?? 0;
    if (tokenWait > 0) return { allowed: false, type: 'tokens', retryAfterMs: tokenWait };
    this.requests?.take(1, now);
    this.tokens?.take(tokenCost, now);
    return { allowed: true };
  }

  /** The headers OpenAI puts on every response (none when `headers: false`). */
  headers(): Record<string, string> {
    const now = this.now();
    const headers: Record<string, string> = {};
    if (!this.sendHeaders) return headers;
    if (this.requests) {
      headers['x-ratelimit-limit-requests'] = String(this.requests.limit);
      headers['x-ratelimit-remaining-requests'] = String(Math.max(0, this.requests.remaining(now)));
      headers['x-ratelimit-reset-requests'] = formatGoDuration(this.requests.millisecondsUntilFull(now));
    }
    if (this.tokens) {
      headers['x-ratelimit-limit-tokens'] = String(this.tokens.limit);
      headers['x-ratelimit-remaining-tokens'] = String(Math.max(0, this.tokens.remaining(now)));
      headers['x-ratelimit-reset-tokens'] = formatGoDuration(this.tokens.millisecondsUntilFull(now));
    }
    return headers;
  }
}

/** Formats milliseconds as Go's time.Duration.String() does for OpenAI's headers: `12ms`, `1.2s`, `6m0s`, `1h2m3.5s`. */
export function formatGoDuration(milliseconds: number): string {
  const total = Math.max(0, Math.round(milliseconds));
  if (total === 0) return '0s';
  if (total < 1000) return `${total}ms`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const seconds = (total % 60_000) / 1000;
  const secondsText = `${Number(seconds.toFixed(3))}s`;
  if (hours > 0) return `${hours}h${minutes}m${secondsText}`;
  if (minutes > 0) return `${minutes}m${secondsText}`;
  return secondsText;
}
