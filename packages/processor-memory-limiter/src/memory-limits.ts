import type { MemoryLimiterConfig } from './memory-limiter-config.js';
import { defaultLimitPercentage, defaultSpikeShare } from './memory-limiter-config.js';
import type { MemoryReader } from './memory-reader.js';

export interface LimitPair {
  softBytes: number;
  hardBytes: number;
}

export interface MemoryLimits {
  resident: LimitPair;
  heap: LimitPair;
}

const mebibyte = 1024 * 1024;

/**
 * Turns the config into byte limits for resident memory and for the V8 heap. The heap's soft limit
 * keeps the same soft/hard proportion as resident memory, so one spike setting covers both.
 */
export function resolveMemoryLimits(
  config: MemoryLimiterConfig,
  reader: Pick<MemoryReader, 'availableBytes' | 'heapLimitBytes'>,
): MemoryLimits {
  let hardBytes: number;
  let spikeBytes: number;
  if (config.limit_mib !== undefined) {
    hardBytes = config.limit_mib * mebibyte;
    spikeBytes = (config.spike_limit_mib ?? config.limit_mib * defaultSpikeShare) * mebibyte;
  } else {
    const available = reader.availableBytes();
    const limitPercentage = config.limit_percentage ?? defaultLimitPercentage;
    hardBytes = (available * limitPercentage) / 100;
    spikeBytes = (available * (config.spike_limit_percentage ?? limitPercentage * defaultSpikeShare)) / 100;
  }
  const softShare = (hardBytes - spikeBytes) / hardBytes;
  const heapHardBytes = (reader.heapLimitBytes() * config.heap_limit_percentage) / 100;
  return {
    resident: { softBytes: Math.floor(hardBytes - spikeBytes), hardBytes: Math.floor(hardBytes) },
    heap: { softBytes: Math.floor(heapHardBytes * softShare), hardBytes: Math.floor(heapHardBytes) },
  };
}
