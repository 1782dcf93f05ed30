/**
 * One endpoint's limits as a shared limiter needs them. Replicas that share a limit keep one bucket
 * per endpoint `name`, so the name must be the same on every replica.
 */
export interface SharedRateLimitEndpoint {
  name: string;
  /** Tokens per minute (configured, or learnt from `x-ratelimit-limit-tokens`); unset: tokens are not limited. */
  tokensPerMinute?: number;
  /** Requests per minute; unset: requests are not limited. */
  requestsPerMinute?: number;
  /** Requests the request bucket holds at most (its burst). Default: a minute's worth. */
  requestBurst?: number;
}

export interface SharedRateLimitGrant {
  granted: boolean;
  /** When not granted: how long until the charge would fit. */
  retryAfterMs?: number;
}

/**
 * A rate limit shared by every semtel replica that calls the same endpoint (for example in Redis),
 * consulted after the replica's own buckets, just before a request is sent. Implementations fail
 * open: when their store is unreachable they grant (the local buckets still apply) rather than
 * hold telemetry back; a rejected promise is treated the same way.
 */
export interface SharedRateLimiter {
  /** Takes `tokens` and `requests` from the endpoint's shared buckets, or says how long until they fit. */
  acquire(endpoint: SharedRateLimitEndpoint, tokens: number, requests: number): Promise<SharedRateLimitGrant>;
  /** Gives back tokens charged but not used; a negative amount charges what was used beyond the charge. */
  refund?(endpoint: SharedRateLimitEndpoint, tokens: number): Promise<void>;
  /** Lowers the shared buckets to what the endpoint says is left (`x-ratelimit-remaining-*`); never raises them. */
  lowerTo?(endpoint: SharedRateLimitEndpoint, remaining: { tokens?: number; requests?: number }): Promise<void>;
}
