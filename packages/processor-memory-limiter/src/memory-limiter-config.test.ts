import { describe, expect, it } from 'vitest';
import { memoryLimiterConfigSchema } from './memory-limiter-config.js';
import { resolveMemoryLimits } from './memory-limits.js';

const mebibyte = 1024 * 1024;
const gibibyte = 1024 * mebibyte;
const reader = { availableBytes: () => 2 * gibibyte, heapLimitBytes: () => 1 * gibibyte };

function messages(input: unknown): string[] {
  const result = memoryLimiterConfigSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('memoryLimiterConfigSchema', () => {
  it('defaults to 80 % of available memory, a 20 % spike and a 1s check', () => {
    const config = memoryLimiterConfigSchema.parse({});
    expect(config).toMatchObject({ check_interval: 1000, heap_limit_percentage: 90 });
    const limits = resolveMemoryLimits(config, reader);
    expect(limits.resident.hardBytes).toBeCloseTo(0.8 * 2 * gibibyte, -1);
    expect(limits.resident.softBytes).toBeCloseTo(0.64 * 2 * gibibyte, -1);
    expect(limits.heap.hardBytes).toBeCloseTo(0.9 * gibibyte, -1);
    expect(limits.heap.softBytes).toBeCloseTo(0.9 * 0.8 * gibibyte, -1);
  });

  it('takes limit_mib over limit_percentage, with a spike of 20 % of it by default', () => {
    const limits = resolveMemoryLimits(
      memoryLimiterConfigSchema.parse({ limit_mib: 500, limit_percentage: 50, check_interval: '5s' }),
      reader,
    );
    expect(limits.resident).toEqual({ hardBytes: 500 * mebibyte, softBytes: 400 * mebibyte });
  });

  it('uses spike_limit_mib and spike_limit_percentage as given', () => {
    expect(
      resolveMemoryLimits(memoryLimiterConfigSchema.parse({ limit_mib: 400, spike_limit_mib: 100 }), reader).resident,
    ).toEqual({ hardBytes: 400 * mebibyte, softBytes: 300 * mebibyte });
    const byPercentage = resolveMemoryLimits(
      memoryLimiterConfigSchema.parse({ limit_percentage: 50, spike_limit_percentage: 25, heap_limit_percentage: 80 }),
      reader,
    );
    expect(byPercentage.resident.hardBytes).toBeCloseTo(gibibyte, -1);
    expect(byPercentage.resident.softBytes).toBeCloseTo(0.5 * gibibyte, -1);
    // The heap keeps resident memory's soft/hard proportion (here one half).
    expect(byPercentage.heap.softBytes).toBeCloseTo(0.4 * gibibyte, -1);
  });

  it('reports every invalid combination with its path', () => {
    expect(messages({ check_interval: 0 })).toEqual(['check_interval: must be greater than zero']);
    expect(messages({ limit_mib: 100, spike_limit_mib: 100 })).toEqual([
      'spike_limit_mib: must be less than limit_mib',
    ]);
    expect(messages({ limit_percentage: 30, spike_limit_percentage: 30 })).toEqual([
      'spike_limit_percentage: must be less than limit_percentage (30)',
    ]);
    expect(messages({ limit_mib: 100, spike_limit_percentage: 10 })).toEqual([
      'spike_limit_percentage: applies to limit_percentage; with limit_mib use spike_limit_mib',
    ]);
    expect(messages({ spike_limit_mib: 10 })).toEqual([
      'spike_limit_mib: applies to limit_mib; with limit_percentage use spike_limit_percentage',
    ]);
    expect(messages({ limit_percentage: 120 })).toHaveLength(1);
    expect(messages({ limit_mib: -1 })).toHaveLength(1);
    expect(messages({ limt_mib: 10 })).toHaveLength(1);
  });
});
