import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('starts full, refills continuously at its rate per minute and never above its capacity', () => {
    let now = 0;
    const bucket = new TokenBucket(600, 100, () => now);
    expect(bucket.available()).toBe(100);
    bucket.take(100);
    expect(bucket.waitMs(10)).toBe(1000);
    now = 500;
    expect(bucket.available()).toBe(5);
    now = 60_000;
    expect(bucket.available()).toBe(100);
  });

  it('lets a charge above the capacity through once full, and projects queues without the cap', () => {
    let now = 0;
    const bucket = new TokenBucket(60, 60, () => now);
    expect(bucket.waitMs(120)).toBe(0);
    expect(bucket.waitMs(120, true)).toBe(60_000);
    bucket.take(120);
    expect(bucket.available()).toBe(-60);
    now = 30_000;
    expect(bucket.waitMs(1)).toBe(31_000);
  });

  it('refunds up to the capacity, only lowers to a reported remaining, and resizes keeping its share', () => {
    const bucket = new TokenBucket(1000, 1000, () => 0);
    bucket.take(600);
    bucket.refund(1000);
    expect(bucket.available()).toBe(1000);
    bucket.lowerTo(2000);
    expect(bucket.available()).toBe(1000);
    bucket.lowerTo(400);
    expect(bucket.available()).toBe(400);
    bucket.resize(500, 500);
    expect(bucket.available()).toBe(200);
    expect(bucket.ratePerMinute).toBe(500);
  });
});
