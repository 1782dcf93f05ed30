import { describe, expect, it } from 'vitest';
import { durationSchema, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['0', 0],
    ['5s', 5000],
    ['250ms', 250],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['1.5s', 1500],
    ['6m0s', 360_000],
    ['12ms', 12],
    ['100us', 0.1],
  ])('parses %s', (text, expected) => {
    expect(parseDuration(text)).toBeCloseTo(expected);
  });

  it.each(['', '5', 's', '5 s', '-1s', '1d', 'abc'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('reports an invalid duration in a schema', () => {
    const result = durationSchema.safeParse('soon');
    expect(result.success).toBe(false);
    expect(durationSchema.parse(1500)).toBe(1500);
    expect(durationSchema.parse('2s')).toBe(2000);
  });
});
