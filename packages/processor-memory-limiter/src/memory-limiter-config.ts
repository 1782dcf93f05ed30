import { durationSchema } from '@semtel/component';
import { z } from 'zod';

/**
 * `processors.memory_limiter`, with the collector's keys. The limits apply to the process's
 * anonymous resident memory (what a container's memory limit kills for; file-backed pages such as
 * the durable queue's mapped store are reclaimable and left out); the V8 heap is held to the same
 * proportions of its own limit (`heap_limit_percentage`).
 */
export const memoryLimiterConfigSchema = z
  .strictObject({
    /** How often memory is sampled; requests only read the last verdict. */
    check_interval: durationSchema.default(1000),
    /** Hard limit on resident memory in MiB; wins over `limit_percentage` when both are set. */
    limit_mib: z.number().positive().optional(),
    /** Soft limit = `limit_mib` − this; default 20 % of `limit_mib`. */
    spike_limit_mib: z.number().nonnegative().optional(),
    /**
     * Hard limit on resident memory in % of the memory the process may use (the cgroup limit in a container,
     * physical memory otherwise). Default 80 when no limit is set at all.
     */
    limit_percentage: z.number().gt(0).lte(100).optional(),
    /** Soft limit = `limit_percentage` − this (both in % of available memory); default 20 % of `limit_percentage`. */
    spike_limit_percentage: z.number().nonnegative().lt(100).optional(),
    /** Hard limit on the V8 heap in % of V8's `heap_size_limit` (`--max-old-space-size`). */
    heap_limit_percentage: z.number().gt(0).lte(100).default(90),
    /** What refused senders are told to wait (Retry-After / RetryInfo); default one check interval, at least 1s. */
    retry_after: durationSchema.optional(),
  })
  .superRefine((config, context) => {
    if (config.check_interval <= 0) {
      context.addIssue({ code: 'custom', path: ['check_interval'], message: 'must be greater than zero' });
    }
    if (config.limit_mib !== undefined) {
      if (config.spike_limit_mib !== undefined && config.spike_limit_mib >= config.limit_mib) {
        context.addIssue({ code: 'custom', path: ['spike_limit_mib'], message: 'must be less than limit_mib' });
      }
      if (config.spike_limit_percentage !== undefined) {
        context.addIssue({
          code: 'custom',
          path: ['spike_limit_percentage'],
          message: 'applies to limit_percentage; with limit_mib use spike_limit_mib',
        });
      }
    } else {
      if (config.spike_limit_mib !== undefined) {
        context.addIssue({
          code: 'custom',
          path: ['spike_limit_mib'],
          message: 'applies to limit_mib; with limit_percentage use spike_limit_percentage',
        });
      }
      const limit = config.limit_percentage ?? defaultLimitPercentage;
      if (config.spike_limit_percentage !== undefined && config.spike_limit_percentage >= limit) {
        context.addIssue({
          code: 'custom',
          path: ['spike_limit_percentage'],
          message: `must be less than limit_percentage (${limit})`,
        });
      }
    }
  });

export type MemoryLimiterConfig = z.output<typeof memoryLimiterConfigSchema>;

/** Used when neither `limit_mib` nor `limit_percentage` is set (the collector requires one). */
export const defaultLimitPercentage = 80;
/** The spike allowance when none is set, as a share of the hard limit (the collector's 20 %). */
export const defaultSpikeShare = 0.2;
