import { describe, expect, it } from 'vitest';
import { durationSchema, formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['0', 0],
    ['5s', 5000],
    ['500ms', 500],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['1.5s', 1500],
    ['.5s', 500],
    ['2h45m', 9_900_000],
    ['100us', 0.1],
    ['100µs', 0.1],
    ['1000000ns', 1],
    ['-5s', -5000],
    ['+5s', 5000],
    [' 10s ', 10_000],
  ])('parses %j', (text, expected) => {
    expect(parseDuration(text)).toBeCloseTo(expected, 9);
  });

  it.each(['', '30', 's', '5x', '5s3', '1..5s', '-', 'ms5', '5 s'])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(/invalid duration/);
  });

  it('formats durations the way Go prints them', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(250)).toBe('250ms');
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(7_205_500)).toBe('2h0m5.5s');
  });
});

describe('durationSchema', () => {
  it('turns strings into milliseconds and keeps millisecond numbers', () => {
    expect(durationSchema.parse('1m')).toBe(60_000);
    expect(durationSchema.parse(250)).toBe(250);
  });

  it('reports invalid and negative durations', () => {
    expect(durationSchema.safeParse('30').error?.issues[0]?.message).toMatch(/expected a number followed by a unit/);
    expect(durationSchema.safeParse('-1s').error?.issues[0]?.message).toMatch(/zero or positive/);
    expect(durationSchema.safeParse(true).success).toBe(false);
  });
});
