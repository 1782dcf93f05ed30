import { describe, expect, it } from 'vitest';
import { EndpointRouter } from './endpoint-router.js';
import { LlmEndpoint } from './llm-endpoint.js';
import type { ResolvedEndpoint } from './openai-classifier-config.js';

let now = 0;
const clock = (): number => now;

function endpoint(name: string, overrides: Partial<ResolvedEndpoint> = {}): LlmEndpoint {
  return new LlmEndpoint(
    {
      name,
      baseUrl: 'http://127.0.0.1:9/v1',
      apiKey: undefined,
      headers: {},
      azure: undefined,
      model: 'gpt-4o-mini',
      rpm: undefined,
      tpm: undefined,
      weight: 1,
      fallback: false,
      maxTokensParameter: 'auto',
      ...overrides,
    },
    {
      concurrency: { initial: 4, min: 1, max: 8, increaseAfter: 5, decreaseFactor: 0.75 },
      circuit: { failureThreshold: 1, cooldownMs: 1000, maxCooldownMs: 4000, now: clock },
      now: clock,
    },
  );
}

/** A deterministic sequence standing in for Math.random. */
function sequence(): () => number {
  let index = 0;
  return () => (index++ * 0.618034) % 1;
}

describe('EndpointRouter', () => {
  it('splits traffic by weight while every endpoint has room', () => {
    const big = endpoint('big', { weight: 3 });
    const small = endpoint('small', { weight: 1 });
    const router = new EndpointRouter([big, small], sequence());
    const counts = { big: 0, small: 0 };
    for (let index = 0; index < 400; index += 1) {
      const choice = router.choose(100);
      counts[choice.endpoint?.name as 'big' | 'small'] += 1;
    }
    expect(counts.big).toBeGreaterThan(250);
    expect(counts.small).toBeGreaterThan(70);
  });

  it('prefers the endpoint that can send soonest', async () => {
    now = 0;
    const busy = endpoint('busy', { tpm: 1000, weight: 100 });
    const idle = endpoint('idle', { tpm: 1000, weight: 1 });
    await busy.limiter.acquire(1000);
    const router = new EndpointRouter([busy, idle], sequence());
    for (let index = 0; index < 20; index += 1) expect(router.choose(500).endpoint?.name).toBe('idle');
  });

  it('moves traffic off an endpoint whose circuit is open, and back after a successful probe', () => {
    now = 0;
    const failing = endpoint('failing');
    const healthy = endpoint('healthy');
    const router = new EndpointRouter([failing, healthy], sequence());
    failing.breaker.recordFailure('connection refused');
    for (let index = 0; index < 10; index += 1) expect(router.choose(1).endpoint?.name).toBe('healthy');
    now = 1000;
    const names = Array.from({ length: 10 }, () => router.choose(1).endpoint?.name);
    // Half-open: exactly one probe goes to the failing endpoint.
    expect(names.filter((name) => name === 'failing')).toHaveLength(1);
    failing.breaker.recordSuccess();
    const after = Array.from({ length: 20 }, () => router.choose(1).endpoint?.name);
    expect(after).toContain('failing');
  });

  it('honours avoid while another endpoint is available, and uses the fallback only when no primary can serve', () => {
    now = 0;
    const first = endpoint('first');
    const second = endpoint('second');
    const fallback = endpoint('fallback', { fallback: true });
    const router = new EndpointRouter([first, second, fallback], sequence());
    for (let index = 0; index < 10; index += 1)
      expect(router.choose(1, new Set([first])).endpoint?.name).toBe('second');
    expect(router.choose(1, new Set([first, second])).endpoint?.name).not.toBe('fallback');
    first.breaker.openFor(10_000, 'quota exhausted');
    second.breaker.openFor(10_000, 'quota exhausted');
    expect(router.choose(1).endpoint?.name).toBe('fallback');
    fallback.breaker.recordFailure('down');
    expect(router.choose(1)).toEqual({ reason: 'unavailable' });
  });

  it('says when a request is larger than the TPM limit of every endpoint', () => {
    const router = new EndpointRouter([endpoint('a', { tpm: 1000 }), endpoint('b', { tpm: 2000 })]);
    expect(router.choose(1500).endpoint?.name).toBe('b');
    expect(router.choose(5000)).toEqual({ reason: 'too_large', limit: 2000 });
  });
});
