import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isTraceSampledIn } from './trace-sampler.js';

describe('isTraceSampledIn', () => {
  it('keeps all at ratio 1 and none at ratio 0', () => {
    const traceId = randomBytes(16).toString('hex');
    expect(isTraceSampledIn(traceId, 1)).toBe(true);
    expect(isTraceSampledIn(traceId, 0)).toBe(false);
  });

  it('is deterministic per trace id and close to the ratio over many traces', () => {
    const traceIds = Array.from({ length: 20_000 }, () => randomBytes(16).toString('hex'));
    const first = traceIds.map((traceId) => isTraceSampledIn(traceId, 0.25));
    const second = traceIds.map((traceId) => isTraceSampledIn(traceId, 0.25));
    expect(second).toEqual(first);
    const share = first.filter(Boolean).length / traceIds.length;
    expect(share).toBeGreaterThan(0.23);
    expect(share).toBeLessThan(0.27);
  });

  it('is monotonic: a trace kept at a lower ratio is kept at a higher one', () => {
    const traceIds = Array.from({ length: 2000 }, () => randomBytes(16).toString('hex'));
    for (const traceId of traceIds) {
      if (isTraceSampledIn(traceId, 0.1)) expect(isTraceSampledIn(traceId, 0.5)).toBe(true);
    }
  });
});
