import type { Redis } from 'ioredis';
import type { FailOpenGuard } from './fail-open-guard.js';
import { rateLimitScript } from './redis-rate-limit-script.js';

/** An endpoint's limits (structurally llm-openai's `SharedRateLimitEndpoint`). */
export interface RateLimitedEndpoint {
  name: string;
  tokensPerMinute?: number;
  requestsPerMinute?: number;
  requestBurst?: number;
}

export interface RateLimitGrant {
  granted: boolean;
  retryAfterMs?: number;
}

type Operation = 'acquire' | 'refund' | 'lower';

/** The script as an ioredis command: EVALSHA, and EVAL once when the server does not know it yet. */
interface RateLimitCommand {
  semtelRateLimit(key: string, ...arguments_: (string | number)[]): Promise<[number, number]>;
}

const commandName = 'semtelRateLimit';

/**
 * The global token-rate budget of each LLM endpoint, shared by every replica through one Redis
 * (structurally llm-openai's `SharedRateLimiter`). Fails open: while Redis cannot answer, every
 * request is granted and the replicas' local buckets are the only limit.
 */
export class RedisSharedRateLimiter {
  constructor(
    private readonly client: Redis,
    private readonly keyPrefix: string,
    private readonly guard: FailOpenGuard,
  ) {
    if (!(commandName in client)) client.defineCommand(commandName, { numberOfKeys: 1, lua: rateLimitScript });
  }

  /** The Redis key of an endpoint's bucket. */
  keyOf(endpoint: string): string {
    return `${this.keyPrefix}ratelimit:${endpoint}`;
  }

  acquire(endpoint: RateLimitedEndpoint, tokens: number, requests: number): Promise<RateLimitGrant> {
    return this.guard.run(
      'rate limit',
      async () => {
        const [granted, waitMs] = await this.call('acquire', endpoint, tokens, requests);
        return granted === 1 ? { granted: true } : { granted: false, retryAfterMs: waitMs };
      },
      { granted: true },
    );
  }

  async refund(endpoint: RateLimitedEndpoint, tokens: number): Promise<void> {
    if (tokens === 0) return;
    await this.guard.run('rate limit refund', () => this.call('refund', endpoint, tokens, 0), undefined);
  }

  async lowerTo(endpoint: RateLimitedEndpoint, remaining: { tokens?: number; requests?: number }): Promise<void> {
    await this.guard.run(
      'rate limit correction',
      () => this.call('lower', endpoint, remaining.tokens ?? -1, remaining.requests ?? -1),
      undefined,
    );
  }

  private call(
    operation: Operation,
    endpoint: RateLimitedEndpoint,
    tokens: number,
    requests: number,
  ): Promise<[number, number]> {
    const tokensPerMinute = positive(endpoint.tokensPerMinute);
    const requestsPerMinute = positive(endpoint.requestsPerMinute);
    const burst = positive(endpoint.requestBurst) || requestsPerMinute;
    return (this.client as unknown as RateLimitCommand).semtelRateLimit(
      this.keyOf(endpoint.name),
      operation,
      tokensPerMinute,
      requestsPerMinute,
      burst,
      Math.round(tokens),
      Math.round(requests),
    );
  }
}

function positive(value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : 0;
}
