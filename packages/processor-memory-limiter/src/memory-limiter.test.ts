import type { Logger } from '@semtel/component';
import { noopLogger } from '@semtel/component';
import { describe, expect, it, vi } from 'vitest';
import { MemoryLimiter } from './memory-limiter.js';
import type { MemoryLimits } from './memory-limits.js';
import { FakeMemoryReader } from './fake-memory-reader.js';

const limits: MemoryLimits = {
  resident: { softBytes: 800, hardBytes: 1000 },
  heap: { softBytes: 400, hardBytes: 500 },
};

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const record = (first: object | string, message?: string): void => {
    lines.push(typeof first === 'string' ? first : (message ?? ''));
  };
  return { ...noopLogger, warn: record, info: record, lines, child: () => recordingLogger() };
}

function limiterWith(reader: FakeMemoryReader, logger: Logger = noopLogger): MemoryLimiter {
  return new MemoryLimiter({ limits, reader, checkIntervalMs: 1000, logger });
}

describe('MemoryLimiter', () => {
  it('admits below the soft limits and refuses above either soft limit', () => {
    const reader = new FakeMemoryReader();
    const limiter = limiterWith(reader);
    expect(limiter.check()).toBe('normal');
    expect(limiter.refusing).toBe(false);

    reader.usage = { residentBytes: 800, heapUsedBytes: 100 };
    expect(limiter.check()).toBe('soft');
    expect(limiter.refusing).toBe(true);

    reader.usage = { residentBytes: 100, heapUsedBytes: 450 };
    expect(limiter.check()).toBe('soft');

    reader.usage = { residentBytes: 799, heapUsedBytes: 399 };
    expect(limiter.check()).toBe('normal');
    expect(limiter.refusing).toBe(false);
    expect(reader.collections).toBe(0);
  });

  it('forces a collection above a hard limit and keeps refusing until usage is below the soft limit', () => {
    const reader = new FakeMemoryReader();
    const limiter = limiterWith(reader);
    reader.usage = { residentBytes: 1200, heapUsedBytes: 300 };
    reader.reclaimable = 300;
    // After the collection resident memory is 900: below hard, still above soft.
    expect(limiter.check()).toBe('soft');
    expect(reader.collections).toBe(1);
    expect(limiter.usage).toEqual({ residentBytes: 900, heapUsedBytes: 0 });
    expect(limiter.refusing).toBe(true);

    reader.usage = { residentBytes: 850, heapUsedBytes: 0 };
    expect(limiter.check()).toBe('soft');
    expect(reader.collections).toBe(1);

    reader.usage = { residentBytes: 700, heapUsedBytes: 0 };
    expect(limiter.check()).toBe('normal');
    expect(limiter.refusing).toBe(false);
    expect(limiter.garbageCollections).toBe(1);
  });

  it('a collection that frees enough admits again at once', () => {
    const reader = new FakeMemoryReader();
    const limiter = limiterWith(reader);
    reader.usage = { residentBytes: 500, heapUsedBytes: 600 };
    reader.reclaimable = 400;
    expect(limiter.check()).toBe('normal');
    expect(limiter.refusing).toBe(false);
  });

  it('refuses above the hard limit without --expose-gc and says how to enable it, once', () => {
    const reader = new FakeMemoryReader();
    reader.gcExposed = false;
    const logger = recordingLogger();
    const limiter = limiterWith(reader, logger);
    reader.usage = { residentBytes: 1000, heapUsedBytes: 0 };
    expect(limiter.check()).toBe('hard');
    expect(limiter.check()).toBe('hard');
    expect(limiter.refusing).toBe(true);
    expect(logger.lines.filter((line) => line.includes('--expose-gc'))).toHaveLength(1);
    expect(logger.lines).toContain('memory usage is above the soft limit; refusing data');
    reader.usage = { residentBytes: 10, heapUsedBytes: 0 };
    limiter.check();
    expect(logger.lines.at(-1)).toBe('memory usage is below the soft limit again; accepting data');
  });

  it('checks at start and then every check interval until stopped', () => {
    vi.useFakeTimers();
    try {
      const reader = new FakeMemoryReader();
      const limiter = limiterWith(reader);
      limiter.start();
      expect(reader.reads).toBe(1);
      vi.advanceTimersByTime(3000);
      expect(reader.reads).toBe(4);
      reader.usage = { residentBytes: 900, heapUsedBytes: 0 };
      vi.advanceTimersByTime(1000);
      expect(limiter.refusing).toBe(true);
      limiter.stop();
      vi.advanceTimersByTime(5000);
      expect(reader.reads).toBe(5);
    } finally {
      vi.useRealTimers();
    }
  });
});
