import type { Logger } from '@semtel/component';
import type { LimitPair, MemoryLimits } from './memory-limits.js';
import type { MemoryReader, MemoryUsage } from './memory-reader.js';

/** `normal` below both soft limits, `soft` above a soft limit, `hard` above a hard limit. */
export type MemoryState = 'normal' | 'soft' | 'hard';

export interface MemoryLimiterOptions {
  limits: MemoryLimits;
  reader: MemoryReader;
  checkIntervalMs: number;
  logger: Logger;
}

const mebibyte = 1024 * 1024;

function stateOf(usage: MemoryUsage, limits: MemoryLimits): MemoryState {
  if (usage.residentBytes >= limits.resident.hardBytes || usage.heapUsedBytes >= limits.heap.hardBytes) return 'hard';
  if (usage.residentBytes >= limits.resident.softBytes || usage.heapUsedBytes >= limits.heap.softBytes) return 'soft';
  return 'normal';
}

function inMebibytes(pair: LimitPair): { soft_mib: number; hard_mib: number } {
  return { soft_mib: Math.round(pair.softBytes / mebibyte), hard_mib: Math.round(pair.hardBytes / mebibyte) };
}

/**
 * Samples memory every check interval and keeps the verdict, so that admitting a request costs one
 * field read. Above a soft limit it refuses; above a hard limit it also forces a garbage collection
 * when Node exposes one, then samples again. It admits again once usage is below the soft limits.
 */
export class MemoryLimiter {
  readonly #options: MemoryLimiterOptions;
  #timer: NodeJS.Timeout | undefined;
  #state: MemoryState = 'normal';
  #usage: MemoryUsage = { residentBytes: 0, heapUsedBytes: 0 };
  #garbageCollections = 0;
  #warnedNoGc = false;

  constructor(options: MemoryLimiterOptions) {
    this.#options = options;
  }

  get limits(): MemoryLimits {
    return this.#options.limits;
  }

  /** True while data must be refused. */
  get refusing(): boolean {
    return this.#state !== 'normal';
  }

  get state(): MemoryState {
    return this.#state;
  }

  /** The usage found by the last check (after the forced collection, if there was one). */
  get usage(): MemoryUsage {
    return this.#usage;
  }

  /** Forced garbage collections so far. */
  get garbageCollections(): number {
    return this.#garbageCollections;
  }

  /** Checks at once, then every check interval until {@link stop}. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.check();
    this.#timer = setInterval(() => this.check(), this.#options.checkIntervalMs);
    // The limiter watches; it must not be what keeps the process alive.
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Samples memory and updates the verdict; the timer calls it, tests may too. */
  check(): MemoryState {
    const { reader, limits, logger } = this.#options;
    let usage = reader.read();
    let state = stateOf(usage, limits);
    if (state === 'hard') {
      logger.warn(this.#describe(usage), 'memory usage is above the hard limit; forcing garbage collection');
      if (reader.collectGarbage()) {
        this.#garbageCollections += 1;
        usage = reader.read();
        state = stateOf(usage, limits);
      } else if (!this.#warnedNoGc) {
        this.#warnedNoGc = true;
        logger.warn(
          'garbage collection cannot be forced: start node with --expose-gc (NODE_OPTIONS=--expose-gc) to let the memory limiter reclaim memory sooner',
        );
      }
    }
    const wasRefusing = this.refusing;
    this.#usage = usage;
    this.#state = state;
    if (!wasRefusing && this.refusing) {
      logger.warn(this.#describe(usage), 'memory usage is above the soft limit; refusing data');
    } else if (wasRefusing && !this.refusing) {
      logger.info(this.#describe(usage), 'memory usage is below the soft limit again; accepting data');
    }
    return state;
  }

  #describe(usage: MemoryUsage): Record<string, unknown> {
    return {
      resident_mib: Math.round(usage.residentBytes / mebibyte),
      heap_used_mib: Math.round(usage.heapUsedBytes / mebibyte),
      resident_limit: inMebibytes(this.#options.limits.resident),
      heap_limit: inMebibytes(this.#options.limits.heap),
    };
  }
}
