import { describe, expect, it } from 'vitest';
import { countDataPoints } from './metrics.js';

describe('metrics', () => {
  it('count the data points the codec counted at decode, since the messages are opaque here', () => {
    expect(countDataPoints({ resourceMetrics: [{}, {}], dataPointCount: 7 })).toBe(7);
    expect(countDataPoints({ resourceMetrics: [], dataPointCount: 0 })).toBe(0);
  });
});
