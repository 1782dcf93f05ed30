import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AdaptiveSampler } from './adaptive-sampler.js';

const traceIds = Array.from({ length: 5000 }, () => randomBytes(16).toString('hex'));
const share = (sampler: AdaptiveSampler) =>
  traceIds.filter((traceId) => sampler.decide(traceId) === 'sampled').length / traceIds.length;

describe('AdaptiveSampler', () => {
  it('lowers the ratio while the backlog is over the limit, and recovers when it clears', () => {
    const sampler = new AdaptiveSampler({ ratio: 1, enabled: true, maxBacklog: 100, minRatio: 0.01 });
    expect(share(sampler)).toBe(1);
    for (let step = 0; step < 5; step += 1) sampler.update(500);
    expect(sampler.ratio).toBeCloseTo(0.7 ** 5);
    expect(share(sampler)).toBeGreaterThan(0.12);
    expect(share(sampler)).toBeLessThan(0.22);
    const lowered = traceIds.filter((traceId) => sampler.decide(traceId) === 'sampled');
    expect(lowered.every((traceId) => sampler.decide(traceId) !== 'configured_out')).toBe(true);
    for (let step = 0; step < 60 && sampler.ratio < 1; step += 1) sampler.update(0);
    expect(sampler.ratio).toBe(1);
    sampler.update(50);
    expect(sampler.ratio).toBe(1);
  });

  it('never goes below the floor and never above the configured ratio', () => {
    const sampler = new AdaptiveSampler({ ratio: 0.5, enabled: true, maxBacklog: 10, minRatio: 0.05 });
    for (let step = 0; step < 100; step += 1) sampler.update(1000);
    expect(sampler.ratio).toBe(0.05);
    for (let step = 0; step < 100; step += 1) sampler.update(0);
    expect(sampler.ratio).toBe(0.5);
    const configuredOut = traceIds.filter((traceId) => sampler.decide(traceId) === 'configured_out').length;
    expect(configuredOut / traceIds.length).toBeGreaterThan(0.45);
  });

  it('does nothing when disabled', () => {
    const sampler = new AdaptiveSampler({ ratio: 1, enabled: false, maxBacklog: 1, minRatio: 0.01 });
    sampler.update(1_000_000);
    expect(sampler.ratio).toBe(1);
  });
});
