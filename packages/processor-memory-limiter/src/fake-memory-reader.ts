import type { MemoryReader, MemoryUsage } from './memory-reader.js';

/**
 * A reader whose figures a test sets, so limits can be tested without real memory pressure. A
 * forced collection lowers resident memory and heap by `reclaimable`, then nothing more is reclaimable.
 */
export class FakeMemoryReader implements MemoryReader {
  usage: MemoryUsage = { residentBytes: 100, heapUsedBytes: 100 };
  gcExposed = true;
  reclaimable = 0;
  collections = 0;
  reads = 0;
  available = 10_000;
  heapLimit = 10_000;

  read(): MemoryUsage {
    this.reads += 1;
    return { ...this.usage };
  }
  availableBytes(): number {
    return this.available;
  }
  heapLimitBytes(): number {
    return this.heapLimit;
  }
  collectGarbage(): boolean {
    if (!this.gcExposed) return false;
    this.collections += 1;
    this.usage = {
      residentBytes: this.usage.residentBytes - this.reclaimable,
      heapUsedBytes: this.usage.heapUsedBytes - this.reclaimable,
    };
    this.reclaimable = 0;
    return true;
  }
}
