import type { LlmEndpoint } from './llm-endpoint.js';

export type RouteChoice =
  | { endpoint: LlmEndpoint }
  /** Every endpoint is cooling down (circuit open, quota exhausted) or has its probe in flight. */
  | { endpoint?: undefined; reason: 'unavailable' }
  /** The request is larger than the TPM limit of every endpoint that could serve it. */
  | { endpoint?: undefined; reason: 'too_large'; limit: number };

/** Routing treats endpoints whose expected waits differ by less than this as equally good. */
const waitToleranceMs = 50;

/**
 * Picks an endpoint for a request: only endpoints whose circuit lets a request through and whose TPM
 * limit can hold it; among them the ones that can send soonest (rate-limit queue, concurrency
 * slots), then by weighted chance. So traffic splits by capacity while every endpoint has room, moves
 * to the others when one is saturated or failing, and reaches the fallback only when no primary can
 * serve. `avoid` (endpoints that just failed this request) is honoured while another is available.
 */
export class EndpointRouter {
  constructor(
    readonly endpoints: readonly LlmEndpoint[],
    private readonly random: () => number = Math.random,
  ) {}

  choose(tokens: number, avoid: ReadonlySet<LlmEndpoint> = new Set()): RouteChoice {
    const primaries = this.endpoints.filter((endpoint) => !endpoint.fallback);
    const fallbacks = this.endpoints.filter((endpoint) => endpoint.fallback);
    let tooLargeLimit: number | undefined;
    for (const group of [primaries, fallbacks]) {
      const open = group.filter((endpoint) => endpoint.breaker.available);
      const fitting = open.filter((endpoint) => endpoint.limiter.fits(tokens));
      for (const endpoint of open) {
        if (!endpoint.limiter.fits(tokens))
          tooLargeLimit = Math.max(tooLargeLimit ?? 0, endpoint.limiter.limits.tokensPerMinute ?? 0);
      }
      const preferred = fitting.filter((endpoint) => !avoid.has(endpoint));
      const candidates = preferred.length > 0 ? preferred : fitting;
      const chosen = this.pick(candidates, tokens);
      if (chosen && chosen.breaker.tryAcquire()) return { endpoint: chosen };
    }
    if (tooLargeLimit !== undefined) return { reason: 'too_large', limit: tooLargeLimit };
    return { reason: 'unavailable' };
  }

  private pick(candidates: LlmEndpoint[], tokens: number): LlmEndpoint | undefined {
    if (candidates.length <= 1) return candidates[0];
    const waits = candidates.map((endpoint) => expectedWaitMs(endpoint, tokens));
    const best = Math.min(...waits);
    const soonest = candidates.filter((_, index) => (waits[index] as number) <= best + waitToleranceMs);
    const total = soonest.reduce((sum, endpoint) => sum + endpoint.weight, 0);
    let point = this.random() * total;
    for (const endpoint of soonest) {
      point -= endpoint.weight;
      if (point < 0) return endpoint;
    }
    return soonest.at(-1);
  }
}

/**
 * How long a request of `tokens` would wait at this endpoint before being sent: for rate-limit capacity
 * behind the requests already queued (those waiting for a concurrency slot are assumed the same size),
 * or for a concurrency slot while every slot is in flight, whichever is longer.
 */
export function expectedWaitMs(endpoint: LlmEndpoint, tokens: number): number {
  const { concurrency, limiter } = endpoint;
  const ahead = concurrency.queued;
  const rateWait = limiter.estimatedWaitMs(tokens * (ahead + 1), ahead + 1);
  const slotWait =
    concurrency.inFlight >= concurrency.limit ? ((ahead + 1) / concurrency.limit) * endpoint.averageLatencyMs : 0;
  return Math.max(rateWait, slotWait);
}
