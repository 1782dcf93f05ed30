import { describe, expect, it } from 'vitest';
import { RetryPolicy } from './retry-policy.js';

const config = {
  enabled: true,
  initial_interval: 100,
  max_interval: 1000,
  max_elapsed_time: 5000,
  multiplier: 2,
  randomization_factor: 0.5,
};

describe('RetryPolicy', () => {
  it('grows the interval by the multiplier up to max_interval', () => {
    const policy = new RetryPolicy(config, () => 0.5);
    expect([0, 1, 2, 3, 4, 5].map((retry) => policy.nextDelay(retry, 0))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('spreads the interval by ± randomization_factor', () => {
    expect(new RetryPolicy(config, () => 0).nextDelay(1, 0)).toBe(100);
    expect(new RetryPolicy(config, () => 0.999_999).nextDelay(1, 0)).toBeCloseTo(300, 3);
  });

  it('treats the server delay as a lower bound', () => {
    const policy = new RetryPolicy(config, () => 0.5);
    expect(policy.nextDelay(0, 0, 2000)).toBe(2000);
    expect(policy.nextDelay(3, 0, 10)).toBe(800);
  });

  it('gives up once the wait would end past max_elapsed_time', () => {
    const policy = new RetryPolicy(config, () => 0.5);
    expect(policy.nextDelay(0, 4900)).toBe(100);
    expect(policy.nextDelay(0, 4901)).toBeUndefined();
    expect(policy.nextDelay(0, 0, 6000)).toBeUndefined();
  });

  it('retries without an elapsed limit when max_elapsed_time is 0', () => {
    const policy = new RetryPolicy({ ...config, max_elapsed_time: 0 }, () => 0.5);
    expect(policy.nextDelay(50, 1e12)).toBe(1000);
  });

  it('never retries when disabled', () => {
    expect(new RetryPolicy({ ...config, enabled: false }).nextDelay(0, 0)).toBeUndefined();
  });
});
