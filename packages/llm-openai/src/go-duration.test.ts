import { describe, expect, it } from 'vitest';
import { parseGoDuration } from './go-duration.js';

describe('parseGoDuration', () => {
  it('reads the forms OpenAI sends in rate-limit headers', () => {
    expect(parseGoDuration('12ms')).toBe(12);
    expect(parseGoDuration('1s')).toBe(1000);
    expect(parseGoDuration('1.5s')).toBe(1500);
    expect(parseGoDuration('6m0s')).toBe(360_000);
    expect(parseGoDuration('1h2m3.5s')).toBe(3_723_500);
    expect(parseGoDuration('0')).toBe(0);
    expect(parseGoDuration('250us')).toBeCloseTo(0.25);
  });

  it('rejects anything else', () => {
    for (const text of ['', '5', 's', '1.2', '-1s', '1d', '1s junk', 'abc'])
      expect(parseGoDuration(text)).toBeUndefined();
  });
});
