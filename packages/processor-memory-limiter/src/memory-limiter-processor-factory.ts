import type { CreateSettings, NextConsumers, Processor, ProcessorFactory } from '@semtel/component';
import { formatComponentId } from '@semtel/component';
import { MemoryLimiter } from './memory-limiter.js';
import type { MemoryLimiterConfig } from './memory-limiter-config.js';
import { memoryLimiterConfigSchema } from './memory-limiter-config.js';
import { MemoryLimiterProcessor } from './memory-limiter-processor.js';
import { resolveMemoryLimits } from './memory-limits.js';
import type { MemoryReader } from './memory-reader.js';
import { processMemoryReader } from './memory-reader.js';

export interface MemoryLimiterProcessorFactoryOptions {
  /** Where memory figures come from; this process by default. */
  reader?: MemoryReader;
}

const mebibyte = 1024 * 1024;

export function createMemoryLimiterProcessorFactory(
  options: MemoryLimiterProcessorFactoryOptions = {},
): ProcessorFactory<MemoryLimiterConfig> {
  const reader = options.reader ?? processMemoryReader;
  return {
    type: 'memory_limiter',
    signals: ['traces', 'logs', 'metrics'],
    configSchema: memoryLimiterConfigSchema,
    create(settings: CreateSettings, config: MemoryLimiterConfig, next: NextConsumers): Processor {
      const id = formatComponentId(settings.id);
      const { logger, meter } = settings.telemetry;
      const limits = resolveMemoryLimits(config, reader);
      const limiter = new MemoryLimiter({ limits, reader, checkIntervalMs: config.check_interval, logger });
      logger.info(
        {
          resident_soft_limit_mib: Math.round(limits.resident.softBytes / mebibyte),
          resident_hard_limit_mib: Math.round(limits.resident.hardBytes / mebibyte),
          heap_soft_limit_mib: Math.round(limits.heap.softBytes / mebibyte),
          heap_hard_limit_mib: Math.round(limits.heap.hardBytes / mebibyte),
        },
        'memory limiter limits',
      );
      const labelNames = ['processor', 'memory'] as const;
      meter.observableGauge(
        'semtel_memory_limiter_usage_bytes',
        'Memory in use at the memory limiter’s last check (memory = resident | heap).',
        labelNames,
        (observe) => {
          observe(limiter.usage.residentBytes, { processor: id, memory: 'resident' });
          observe(limiter.usage.heapUsedBytes, { processor: id, memory: 'heap' });
        },
      );
      meter.observableGauge(
        'semtel_memory_limiter_limit_bytes',
        'The memory limiter’s limits (memory = resident | heap, limit = soft | hard).',
        [...labelNames, 'limit'],
        (observe) => {
          for (const memory of ['resident', 'heap'] as const) {
            observe(limits[memory].softBytes, { processor: id, memory, limit: 'soft' });
            observe(limits[memory].hardBytes, { processor: id, memory, limit: 'hard' });
          }
        },
      );
      meter.observableGauge(
        'semtel_memory_limiter_refusing',
        '1 while the memory limiter refuses data, 0 otherwise.',
        ['processor'],
        (observe) => observe(limiter.refusing ? 1 : 0, { processor: id }),
      );
      const retryAfterMs = config.retry_after ?? Math.max(1000, config.check_interval);
      return new MemoryLimiterProcessor({ id, limiter, retryAfterMs }, next, settings.telemetry);
    },
  };
}

/** The memory limiter reading this process's memory. */
export const memoryLimiterProcessorFactory = createMemoryLimiterProcessorFactory();
