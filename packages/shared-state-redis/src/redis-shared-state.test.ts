import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SharedStateLogger } from './fail-open-guard.js';
import type { RedisServerProcess } from './redis-server-process.js';
import { redisTestSkipReason, startRedisServer } from './redis-server-process.js';
import { RedisSharedState } from './redis-shared-state.js';
import type { RedisSharedStateOptions } from './redis-shared-state.js';

/** Undefined when redis-server is here (or SEMTEL_REQUIRE_REDIS insists on it); otherwise why these tests are skipped. */
const skipReason = redisTestSkipReason();
if (skipReason !== undefined) console.warn(`@semtel/shared-state-redis tests against a real Redis: ${skipReason}`);

describe.skipIf(skipReason !== undefined)(`against a real redis-server${skipReason ? ` (${skipReason})` : ''}`, () => {
  let redis: RedisServerProcess;
  const states: RedisSharedState[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  afterEach(async () => {
    await Promise.all(states.splice(0).map((state) => state.shutdown()));
  });

  class RecordingLogger implements SharedStateLogger {
    readonly lines: { level: string; message: string }[] = [];
    info(_object: object, message: string): void {
      this.lines.push({ level: 'info', message });
    }
    warn(_object: object, message: string): void {
      this.lines.push({ level: 'warn', message });
    }
  }

  /** A replica's connection; each test gets its own key prefix, so tests share nothing. */
  async function replica(prefix: string, options: Partial<RedisSharedStateOptions> = {}): Promise<RedisSharedState> {
    const state = new RedisSharedState({ endpoint: redis.url, keyPrefix: prefix, ...options });
    states.push(state);
    await state.start();
    return state;
  }

  function uniquePrefix(): string {
    return `test-${randomUUID()}:`;
  }

  const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

  describe('RedisSharedRateLimiter', () => {
    it('grants until the token bucket is spent, then says how long until the request fits', async () => {
      const state = await replica(uniquePrefix());
      const limiter = state.rateLimiter!;
      const endpoint = { name: 'east', tokensPerMinute: 60_000 };
      expect(await limiter.acquire(endpoint, 50_000, 1)).toEqual({ granted: true });
      const refused = await limiter.acquire(endpoint, 20_000, 1);
      expect(refused.granted).toBe(false);
      // 10 000 short at 1 000 tokens a second (less whatever refilled since).
      expect(refused.retryAfterMs).toBeGreaterThan(8_000);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(10_000);
      // A refund makes room; a correction from the endpoint's headers takes it away again.
      await limiter.refund(endpoint, 20_000);
      await limiter.lowerTo(endpoint, { tokens: 5_000 });
      expect((await limiter.acquire(endpoint, 20_000, 1)).granted).toBe(false);
      await limiter.refund(endpoint, 30_000);
      expect(await limiter.acquire(endpoint, 20_000, 1)).toEqual({ granted: true });
    });

    it('refills with elapsed time', async () => {
      const state = await replica(uniquePrefix());
      const limiter = state.rateLimiter!;
      const endpoint = { name: 'east', tokensPerMinute: 60_000 };
      expect((await limiter.acquire(endpoint, 60_000, 1)).granted).toBe(true);
      const refused = await limiter.acquire(endpoint, 500, 1);
      expect(refused.granted).toBe(false);
      await sleep((refused.retryAfterMs ?? 0) + 100);
      expect(await limiter.acquire(endpoint, 500, 1)).toEqual({ granted: true });
    });

    it('limits requests with their own burst', async () => {
      const state = await replica(uniquePrefix());
      const limiter = state.rateLimiter!;
      const endpoint = { name: 'east', requestsPerMinute: 60, requestBurst: 2 };
      expect((await limiter.acquire(endpoint, 10, 1)).granted).toBe(true);
      expect((await limiter.acquire(endpoint, 10, 1)).granted).toBe(true);
      const third = await limiter.acquire(endpoint, 10, 1);
      expect(third.granted).toBe(false);
      expect(third.retryAfterMs).toBeGreaterThan(0);
      expect(third.retryAfterMs).toBeLessThanOrEqual(1000);
    });

    it('is atomic across replicas: concurrent requests never take more than the bucket holds', async () => {
      const prefix = uniquePrefix();
      const replicas = await Promise.all([replica(prefix), replica(prefix)]);
      // 6 000 tokens a minute: 100 requests of 60 fit, and 1.7 more refill per second.
      const endpoint = { name: 'shared', tokensPerMinute: 6_000 };
      const startedAt = Date.now();
      const grants = await Promise.all(
        Array.from({ length: 400 }, (_, index) => replicas[index % 2]!.rateLimiter!.acquire(endpoint, 60, 1)),
      );
      const elapsedSeconds = (Date.now() - startedAt) / 1000;
      const granted = grants.filter((grant) => grant.granted).length;
      expect(granted).toBeGreaterThanOrEqual(100);
      expect(granted).toBeLessThanOrEqual(100 + Math.ceil(elapsedSeconds * (6_000 / 60 / 60)) + 1);
      expect(grants.filter((grant) => !grant.granted).every((grant) => (grant.retryAfterMs ?? 0) > 0)).toBe(true);
    });

    it('keeps one bucket per endpoint name', async () => {
      const state = await replica(uniquePrefix());
      const limiter = state.rateLimiter!;
      expect((await limiter.acquire({ name: 'a', tokensPerMinute: 1000 }, 1000, 1)).granted).toBe(true);
      expect((await limiter.acquire({ name: 'b', tokensPerMinute: 1000 }, 1000, 1)).granted).toBe(true);
      expect((await limiter.acquire({ name: 'a', tokensPerMinute: 1000 }, 500, 1)).granted).toBe(false);
    });
  });

  describe('RedisSharedResultCache', () => {
    const result = {
      labels: { domain: 'technology_and_computing', intent: ['doing', 'asking'] },
      model: 'gpt-4o-mini',
    };

    it('shares a result between replicas', async () => {
      const prefix = uniquePrefix();
      const [first, second] = await Promise.all([replica(prefix), replica(prefix)]);
      expect(await second.resultCache!.get('abc')).toBeUndefined();
      await first.resultCache!.set('abc', result, 60_000);
      expect(await second.resultCache!.get('abc')).toEqual(result);
    });

    it('expires a result after its TTL', async () => {
      const state = await replica(uniquePrefix());
      await state.resultCache!.set('short', result, 300);
      // The key carries the TTL (read from Redis, so a slow test machine cannot make it flaky)...
      const { Redis } = await import('ioredis');
      const raw = new Redis(redis.url);
      try {
        const ttl = await raw.pttl(state.resultCache!.keyOf('short'));
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(300);
      } finally {
        raw.disconnect();
      }
      // ...and Redis drops it once that passes (polled, bounded).
      const deadline = Date.now() + 5000;
      while ((await state.resultCache!.get('short')) !== undefined && Date.now() < deadline) await sleep(100);
      expect(await state.resultCache!.get('short')).toBeUndefined();
    });

    it('reads a value that is not a result as a miss', async () => {
      const prefix = uniquePrefix();
      const state = await replica(prefix);
      const { Redis } = await import('ioredis');
      const raw = new Redis(redis.url);
      try {
        await raw.set(state.resultCache!.keyOf('bad'), '{"labels": {"domain": 3}, "model": "m"}');
        await raw.set(state.resultCache!.keyOf('worse'), 'not json');
      } finally {
        raw.disconnect();
      }
      expect(await state.resultCache!.get('bad')).toBeUndefined();
      expect(await state.resultCache!.get('worse')).toBeUndefined();
    });

    it('can be turned off, like the rate limit', async () => {
      const state = await replica(uniquePrefix(), { resultCache: false, rateLimit: false });
      expect(state.resultCache).toBeUndefined();
      expect(state.rateLimiter).toBeUndefined();
    });
  });

  describe('RedisSharedState when Redis is down', () => {
    it('fails open, logs the outage once, and reconnects when Redis is back', async () => {
      const own = await startRedisServer();
      const logger = new RecordingLogger();
      try {
        const state = new RedisSharedState({ endpoint: own.url, keyPrefix: uniquePrefix(), logger });
        states.push(state);
        await state.start();
        const endpoint = { name: 'east', tokensPerMinute: 1000 };
        expect((await state.rateLimiter!.acquire(endpoint, 1000, 1)).granted).toBe(true);
        expect((await state.rateLimiter!.acquire(endpoint, 1000, 1)).granted).toBe(false);

        await own.stop();
        // Down: every request is granted (local limits only), reads miss, writes are dropped, nothing throws.
        for (let index = 0; index < 5; index += 1) {
          expect(await state.rateLimiter!.acquire(endpoint, 1000, 1)).toEqual({ granted: true });
          await state.rateLimiter!.refund(endpoint, 10);
        }
        await state.resultCache!.set('k', { labels: {}, model: 'm' }, 1000);
        expect(await state.resultCache!.get('k')).toBeUndefined();
        expect(state.unavailable).toBe(true);
        expect(logger.lines.filter((line) => line.level === 'warn')).toHaveLength(1);

        await own.restart();
        const deadline = Date.now() + 10_000;
        while (state.unavailable && Date.now() < deadline) await sleep(50);
        expect(state.unavailable).toBe(false);
        await state.resultCache!.set('k', { labels: {}, model: 'm' }, 1000);
        expect(await state.resultCache!.get('k')).toEqual({ labels: {}, model: 'm' });
        expect(logger.lines.map((line) => line.level)).toEqual(['warn', 'info']);
      } finally {
        await own.stop();
      }
    });

    it('starts without Redis within the connect timeout and grants meanwhile', async () => {
      const own = await startRedisServer();
      await own.stop();
      const logger = new RecordingLogger();
      const state = new RedisSharedState({ endpoint: own.url, connectTimeoutMs: 300, logger });
      states.push(state);
      const startedAt = Date.now();
      await state.start();
      expect(Date.now() - startedAt).toBeLessThan(5_000);
      expect(await state.rateLimiter!.acquire({ name: 'east', tokensPerMinute: 1 }, 1000, 1)).toEqual({
        granted: true,
      });
      expect(logger.lines.filter((line) => line.level === 'warn')).toHaveLength(1);
    });

    it('shuts down safely twice and before start', async () => {
      const state = new RedisSharedState({ endpoint: redis.url });
      await state.shutdown();
      await state.shutdown();
      const started = await replica(uniquePrefix());
      await started.shutdown();
      await started.shutdown();
    });
  });
});

describe('RedisSharedState configuration', () => {
  it('refuses an endpoint that is not a Redis URL', () => {
    expect(() => new RedisSharedState({ endpoint: 'http://127.0.0.1:6379' })).toThrow(/redis:\/\/ or rediss:\/\//);
  });
});
