import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';

export interface MemoryUsage {
  /**
   * Resident memory that only this process holds: anonymous pages (`RssAnon` on Linux). File-backed
   * pages such as the durable queue's memory-mapped store are left out: the kernel drops clean ones
   * under pressure and writes dirty ones back before it would OOM-kill, so they never exhaust a
   * container's memory the way the heap and buffers do.
   */
  residentBytes: number;
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

/**
 * `RssAnon` from a `/proc/<pid>/status` text, in bytes; undefined when the text has none (kernels
 * before 4.5, or not Linux).
 */
export function anonymousResidentBytes(statusText: string): number | undefined {
  const match = /^RssAnon:\s+(\d+)\s+kB$/m.exec(statusText);
  return match === null ? undefined : Number(match[1]) * 1024;
}

export interface ProcessMemoryReaderOptions {
  /** Reads `/proc/self/status`; undefined where there is no such file. */
  readStatus?: () => string | undefined;
  /** Resident set size, the fallback where anonymous memory cannot be told apart. */
  residentSetSize?: () => number;
}

function readOwnStatus(): string | undefined {
  try {
    return readFileSync('/proc/self/status', 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Reads this process's memory: anonymous resident memory on Linux, the whole RSS elsewhere (macOS
 * and Windows do not say which pages are file-backed, and semtel's containers run Linux).
 */
export function createProcessMemoryReader(options: ProcessMemoryReaderOptions = {}): MemoryReader {
  const readStatus = options.readStatus ?? readOwnStatus;
  const residentSetSize = options.residentSetSize ?? (() => process.memoryUsage.rss());
  // Decided once: a platform either has the file or not, and missing it costs a throw per check.
  let statusReadable = true;
  const residentBytes = (): number => {
    if (statusReadable) {
      const status = readStatus();
      const anonymous = status === undefined ? undefined : anonymousResidentBytes(status);
      if (anonymous !== undefined) return anonymous;
      statusReadable = false;
    }
    return residentSetSize();
  };
  return {
    read() {
      return { residentBytes: residentBytes(), heapUsedBytes: getHeapStatistics().used_heap_size };
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
}

/** Reads this process's memory. */
export const processMemoryReader: MemoryReader = createProcessMemoryReader();
