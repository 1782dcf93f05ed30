import { totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';

export interface MemoryUsage {
  /** Resident set size: what the kernel counts against a container's memory limit. */
  rssBytes: number;
  /** Live plus not-yet-collected objects in the V8 heap: what `heap out of memory` is about. */
  heapUsedBytes: number;
}

/** Where the memory limiter gets its figures; tests inject their own. */
export interface MemoryReader {
  read(): MemoryUsage;
  /** Memory the process may use: the cgroup limit when there is one, physical memory otherwise. */
  availableBytes(): number;
  /** V8's `heap_size_limit`, set by `--max-old-space-size` or derived from available memory. */
  heapLimitBytes(): number;
  /** Runs a full garbage collection when Node exposes it (`--expose-gc`); false when it cannot. */
  collectGarbage(): boolean;
}

/** Reads this process's memory. */
export const processMemoryReader: MemoryReader = {
  read() {
    return { rssBytes: process.memoryUsage.rss(), heapUsedBytes: getHeapStatistics().used_heap_size };
  },
  availableBytes() {
    const total = totalmem();
    // Without a cgroup limit Node reports no constraint as undefined, 0 or a huge sentinel (2^64).
    const constrained = process.constrainedMemory?.();
    return constrained !== undefined && constrained > 0 && constrained < total ? constrained : total;
  },
  heapLimitBytes() {
    return getHeapStatistics().heap_size_limit;
  },
  collectGarbage() {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (typeof gc !== 'function') return false;
    gc();
    return true;
  },
};
