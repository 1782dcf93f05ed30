import { LlmError } from './llm-error.js';
import type { RateLimitInfo } from './rate-limit-headers.js';
import type { SharedRateLimitEndpoint, SharedRateLimiter } from './shared-rate-limiter.js';
import { TokenBucket } from './token-bucket.js';

/** `LlmError.code` of a request refused because the limit shared with other replicas would keep it waiting too long. */
export const sharedLimitSaturatedCode = 'shared_rate_limit_saturated';

/** Bounds the polling of the shared limiter whatever it answers (time is bounded by `maxWaitMs` too). */
const maximumSharedRounds = 1000;

export interface SharedLimitOptions {
  limiter: SharedRateLimiter;
  /** The endpoint's name, the same on every replica. */
  endpoint: string;
  /** Longest wait for shared capacity; a longer one fails at once with `rate_limited`, nothing sent. */
  maxWaitMs: number;
  /** The shared limiter failed (it should fail open itself); the request goes on with the local limits. */
  onError?: (error: unknown) => void;
}

export interface EndpointRateLimiterOptions {
  /** Requests per minute; unknown until the endpoint's headers say when unset. */
  requestsPerMinute?: number;
  /** Tokens per minute; unknown until the endpoint's headers say when unset. */
  tokensPerMinute?: number;
  /**
   * The request burst in seconds of the rate. Azure enforces RPM over 1–10 s windows, so a whole
   * minute's requests at once would be refused; 10 s keeps the dispatch rate smooth.
   */
  requestBurstSeconds?: number;
  /** Azure may report a per-second figure in `x-ratelimit-limit-requests`; do not take it as RPM. */
  ignoreRequestLimitHeader?: boolean;
  /**
   * Give back the part of a charge a request did not use. Off by default: OpenAI and Azure keep the whole
   * `max_tokens` charged against TPM whatever the answer used, so refunding overshoots the endpoint's
   * own count (most of all when it sends no `x-ratelimit-remaining-*` to correct it). For gateways that
   * count real usage.
   */
  refundUnused?: boolean;
  /** A limit shared with other replicas, taken after the local buckets, just before sending. */
  shared?: SharedLimitOptions;
  now?: () => number;
}

interface Waiter {
  tokens: number;
  resolve: () => void;
  reject: (error: LlmError) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

/**
 * Requests-per-minute and tokens-per-minute buckets of one endpoint. A request is charged its
 * estimated tokens (prompt plus maximum output) before it is sent, as OpenAI and Azure count it, and
 * keeps that charge (usage beyond it is charged too; the unused part is given back only with
 * `refundUnused`); the buckets follow the endpoint's `x-ratelimit-*` headers. Waiters are served first
 * come, first served, so large requests are not starved by small ones.
 */
export class EndpointRateLimiter {
  private requests: TokenBucket | undefined;
  private tokens: TokenBucket | undefined;
  private readonly waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private pausedUntil = 0;
  private readonly now: () => number;
  private readonly requestBurstSeconds: number;

  constructor(private readonly options: EndpointRateLimiterOptions = {}) {
    this.now = options.now ?? Date.now;
    this.requestBurstSeconds = options.requestBurstSeconds ?? 10;
    if (options.requestsPerMinute) this.requests = this.requestBucket(options.requestsPerMinute);
    if (options.tokensPerMinute)
      this.tokens = new TokenBucket(options.tokensPerMinute, options.tokensPerMinute, this.now);
  }

  /** The limits in force (configured, then corrected by headers); undefined while unknown. */
  get limits(): { requestsPerMinute?: number; tokensPerMinute?: number } {
    return {
      ...(this.requests ? { requestsPerMinute: this.requests.ratePerMinute } : {}),
      ...(this.tokens ? { tokensPerMinute: this.tokens.ratePerMinute } : {}),
    };
  }

  /** Requests waiting for capacity. */
  get queued(): number {
    return this.waiters.length;
  }

  /**
   * Waits until the request can be sent, then charges it: the local buckets, then the shared limit when
   * there is one. Rejects with `aborted` when `signal` fires first, and with `rate_limited`
   * (code `shared_rate_limit_saturated`) when the shared limit would keep it waiting past its `maxWaitMs`.
   */
  async acquire(tokens: number, signal?: AbortSignal): Promise<void> {
    await this.acquireLocal(tokens, signal);
    if (this.options.shared) await this.acquireShared(this.options.shared, tokens, signal);
  }

  private acquireLocal(tokens: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortedWhileWaiting());
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        tokens,
        resolve,
        reject,
        signal,
        onAbort: () => {
          const index = this.waiters.indexOf(waiter);
          if (index >= 0) this.waiters.splice(index, 1);
          reject(abortedWhileWaiting());
          this.pump();
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiters.push(waiter);
      if (this.waiters.length === 1) this.pump();
    });
  }

  /**
   * How long `requests` requests of `tokens` in total would wait behind the ones already queued: the
   * router's measure of how busy this endpoint is.
   */
  estimatedWaitMs(tokens: number, requests = 1): number {
    const queuedTokens = this.waiters.reduce((sum, waiter) => sum + waiter.tokens, 0) + tokens;
    return Math.max(
      this.pausedUntil - this.now(),
      this.requests?.waitMs(this.waiters.length + requests, true) ?? 0,
      this.tokens?.waitMs(queuedTokens, true) ?? 0,
      0,
    );
  }

  /** Whether one request of `tokens` can ever pass the known TPM limit. */
  fits(tokens: number): boolean {
    return this.tokens === undefined || tokens <= this.tokens.ratePerMinute;
  }

  /**
   * Settles the charge of a request the endpoint answered with what it used (`used` undefined: unknown,
   * the charge stands): usage beyond the charge is taken too; the unused part is given back only with
   * `refundUnused`, since the endpoint itself keeps counting `max_tokens`.
   */
  settle(charged: number, used: number | undefined): void {
    if (used === undefined) return;
    const difference = charged - used;
    this.adjust(difference > 0 && !this.options.refundUnused ? 0 : difference);
  }

  /** Gives back the whole charge of a request that never reached the endpoint (rerouted, connection failed). */
  release(charged: number): void {
    this.adjust(charged);
  }

  /** Refunds (positive) or charges more (negative), locally and in the shared limit. */
  private adjust(difference: number): void {
    if (!this.tokens || difference === 0) return;
    this.settleLocal(difference);
    const shared = this.options.shared;
    const endpoint = this.sharedEndpoint();
    if (shared?.limiter.refund && endpoint) {
      this.callShared(shared, () => shared.limiter.refund?.(endpoint, difference));
    }
  }

  private settleLocal(difference: number): void {
    if (difference > 0) this.tokens?.refund(difference);
    else if (difference < 0) this.tokens?.take(-difference);
  }

  /** Holds every request for `milliseconds` (the endpoint said "retry after"). */
  pause(milliseconds: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + milliseconds);
    this.pump();
  }

  /** Corrects the buckets from the endpoint's `x-ratelimit-*` headers: limits replace, remaining only lowers. */
  observe(info: RateLimitInfo | undefined): void {
    if (!info) return;
    const { requests, tokens } = info;
    if (requests.limit !== undefined && !this.options.ignoreRequestLimitHeader) {
      if (this.requests) this.requests.resize(requests.limit, this.requestBurst(requests.limit));
      else this.requests = this.requestBucket(requests.limit);
    }
    if (requests.remaining !== undefined) this.requests?.lowerTo(requests.remaining);
    if (tokens.limit !== undefined) {
      if (this.tokens) this.tokens.resize(tokens.limit, tokens.limit);
      else this.tokens = new TokenBucket(tokens.limit, tokens.limit, this.now);
    }
    if (tokens.remaining !== undefined) this.tokens?.lowerTo(tokens.remaining);
    const shared = this.options.shared;
    const endpoint = this.sharedEndpoint();
    if (shared?.limiter.lowerTo && endpoint && (requests.remaining !== undefined || tokens.remaining !== undefined)) {
      const remaining = {
        ...(requests.remaining !== undefined && this.requests ? { requests: requests.remaining } : {}),
        ...(tokens.remaining !== undefined ? { tokens: tokens.remaining } : {}),
      };
      this.callShared(shared, () => shared.limiter.lowerTo?.(endpoint, remaining));
    }
    this.pump();
  }

  /** The limits in force, as the shared limiter keys and sizes its buckets; undefined while none is known. */
  private sharedEndpoint(): SharedRateLimitEndpoint | undefined {
    const shared = this.options.shared;
    if (!shared || (!this.tokens && !this.requests)) return undefined;
    return {
      name: shared.endpoint,
      ...(this.tokens ? { tokensPerMinute: this.tokens.ratePerMinute } : {}),
      ...(this.requests
        ? { requestsPerMinute: this.requests.ratePerMinute, requestBurst: this.requests.capacity }
        : {}),
    };
  }

  /**
   * Waits for the shared limit after the local buckets granted the request. The local charge is given
   * back when the request gives up here, since it is not sent.
   */
  private async acquireShared(
    shared: SharedLimitOptions,
    tokens: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const startedAt = this.now();
    for (let round = 0; round < maximumSharedRounds; round += 1) {
      const endpoint = this.sharedEndpoint();
      if (!endpoint) return;
      let grant;
      try {
        grant = await shared.limiter.acquire(endpoint, tokens, 1);
      } catch (error) {
        // Fail open: the local buckets still hold this replica to the endpoint's limit.
        this.report(shared, error);
        return;
      }
      if (grant.granted) return;
      const waitMs = Math.max(1, Math.ceil(grant.retryAfterMs ?? 100));
      if (this.now() - startedAt + waitMs > shared.maxWaitMs) {
        this.settleLocal(tokens);
        throw new LlmError(
          'rate_limited',
          `LLM endpoint ${shared.endpoint} saturated across replicas: shared capacity for this request in about ${Math.ceil(waitMs / 1000)} s, above max_queue_wait`,
          { retryAfterMs: waitMs, code: sharedLimitSaturatedCode },
        );
      }
      try {
        await delay(waitMs, signal);
      } catch {
        this.settleLocal(tokens);
        throw abortedWhileWaiting();
      }
    }
  }

  private callShared(shared: SharedLimitOptions, call: () => Promise<void> | undefined): void {
    try {
      call()?.catch((error: unknown) => this.report(shared, error));
    } catch (error) {
      this.report(shared, error);
    }
  }

  private report(shared: SharedLimitOptions, error: unknown): void {
    try {
      shared.onError?.(error);
    } catch {
      // Reporting must not change the outcome of a request.
    }
  }

  private requestBurst(requestsPerMinute: number): number {
    return Math.max(1, Math.ceil((requestsPerMinute * this.requestBurstSeconds) / 60));
  }

  private requestBucket(requestsPerMinute: number): TokenBucket {
    return new TokenBucket(requestsPerMinute, this.requestBurst(requestsPerMinute), this.now);
  }

  private waitFor(tokens: number): number {
    return Math.max(this.pausedUntil - this.now(), this.requests?.waitMs(1) ?? 0, this.tokens?.waitMs(tokens) ?? 0, 0);
  }

  private pump(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (let head = this.waiters[0]; head !== undefined; head = this.waiters[0]) {
      const wait = this.waitFor(head.tokens);
      if (wait > 0) {
        this.timer = setTimeout(() => this.pump(), Math.max(1, wait));
        return;
      }
      this.waiters.shift();
      this.requests?.take(1);
      this.tokens?.take(head.tokens);
      head.signal?.removeEventListener('abort', head.onAbort);
      head.resolve();
    }
  }
}

/** Resolves after `milliseconds`, rejects when `signal` fires first; the pump's timers are the global ones too. */
function delay(milliseconds: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, milliseconds);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortedWhileWaiting(): LlmError {
  return new LlmError('aborted', 'LLM request aborted while waiting for rate-limit capacity');
}
