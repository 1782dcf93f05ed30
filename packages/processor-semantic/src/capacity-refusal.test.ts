import { describe, expect, it } from 'vitest';
import { isCapacityRefusal } from './capacity-refusal.js';

const failure = (fields: Record<string, unknown>) => Object.assign(new Error('failed'), fields);

describe('isCapacityRefusal', () => {
  it('counts rate limits, deadline refusals and running out of time', () => {
    expect(isCapacityRefusal(failure({ kind: 'rate_limited' }))).toBe(true);
    expect(isCapacityRefusal(failure({ kind: 'rate_limited', code: 'shared_rate_limit_saturated' }))).toBe(true);
    expect(isCapacityRefusal(failure({ kind: 'unavailable', code: 'deadline_exceeded' }))).toBe(true);
    expect(isCapacityRefusal(failure({ kind: 'timeout' }))).toBe(true);
    expect(isCapacityRefusal(failure({ kind: 'aborted' }))).toBe(true);
  });

  it('does not count failures that sampling less would not help', () => {
    for (const kind of ['quota_exhausted', 'authentication', 'unavailable', 'server', 'bad_request', 'over_budget'])
      expect(isCapacityRefusal(failure({ kind }))).toBe(false);
    expect(isCapacityRefusal(new Error('boom'))).toBe(false);
    expect(isCapacityRefusal(undefined)).toBe(false);
  });
});
