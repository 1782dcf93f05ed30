import { describe, expect, it } from 'vitest';
import { durableQueueConfigSchema } from './durable-queue-config.js';

describe('durableQueueConfigSchema', () => {
  it('fills defaults from an empty block', () => {
    expect(durableQueueConfigSchema.parse({})).toEqual({
      directory: './data/durable-queue',
      fsync: 'batch',
      max_size_mib: 1024,
      max_entries: 100_000,
      max_in_flight: 64,
      max_in_flight_mib: 64,
      retry: { initial_interval: 1000, max_interval: 30_000, multiplier: 2 },
      retry_after: 5000,
      shutdown_wait: 2000,
      drain_on_shutdown: true,
    });
  });

  it.each(['always', 'batch', 'never'] as const)('accepts fsync: %s', (fsync) => {
    expect(durableQueueConfigSchema.parse({ fsync }).fsync).toBe(fsync);
  });

  it('rejects an unknown fsync policy and unknown keys', () => {
    const result = durableQueueConfigSchema.safeParse({ fsync: 'sometimes', colour: 'red' });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toContain('fsync');
    expect(result.error?.issues.find((issue) => issue.code === 'unrecognized_keys')).toMatchObject({
      keys: ['colour'],
    });
  });

  it('reports inverted backoff bounds on their own', () => {
    const result = durableQueueConfigSchema.safeParse({ retry: { initial_interval: '10s', max_interval: '1s' } });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['retry.max_interval']);
  });

  it('parses durations and bounds', () => {
    const config = durableQueueConfigSchema.parse({
      max_size_mib: 0.5,
      max_entries: 10,
      retry_after: '2s',
      shutdown_wait: '500ms',
    });
    expect(config).toMatchObject({ max_size_mib: 0.5, max_entries: 10, retry_after: 2000, shutdown_wait: 500 });
    expect(durableQueueConfigSchema.safeParse({ max_entries: 0 }).success).toBe(false);
    expect(durableQueueConfigSchema.safeParse({ max_in_flight: 1.5 }).success).toBe(false);
    expect(durableQueueConfigSchema.safeParse({ max_in_flight_mib: 0 }).success).toBe(false);
  });
});
