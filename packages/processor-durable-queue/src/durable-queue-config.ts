import { durationSchema } from '@semtel/component';
import { z } from 'zod';

/** How a write is made durable before the sender is acknowledged. */
export const fsyncPolicies = ['always', 'batch', 'never'] as const;
export type FsyncPolicy = (typeof fsyncPolicies)[number];

/**
 * `processors.durable_queue`. Durations are milliseconds after parsing. The size bounds count the
 * encoded requests (OTLP protobuf), summed over every signal of this processor.
 */
export const durableQueueConfigSchema = z
  .strictObject({
    /** Where the store lives; one file per processor id. Relative paths start at the working directory. */
    directory: z.string().min(1).default('./data/durable-queue'),
    /**
     * `always`: acknowledge once the write is flushed to the disk (survives power loss);
     * `batch`: once it is committed (survives a crash of the process; the flush follows at once,
     * overlapping the next commit); `never`: the OS writes back when it likes (survives a crash of
     * the process, not of the machine).
     */
    fsync: z.enum(fsyncPolicies).default('batch'),
    /** Bound on the stored requests' bytes; when reached, new data is refused with a retryable error. */
    max_size_mib: z.number().positive().default(1024),
    /** Bound on the number of stored requests. */
    max_entries: z.number().int().positive().default(100_000),
    /**
     * Requests handed downstream at once, per signal. A GenAI span held by the semantic processor
     * keeps its request in flight for up to `max_hold`, so this bounds throughput while spans are held.
     */
    max_in_flight: z.number().int().positive().default(64),
    /**
     * Bytes of encoded requests handed downstream at once, every signal together. Each is decoded in
     * memory meanwhile (about three times its encoded size), so this bounds the replay's memory where
     * `max_in_flight` alone would not (64 requests of 16 MiB). A signal with nothing in flight may
     * always send one request, however large.
     */
    max_in_flight_mib: z.number().positive().default(64),
    /** Backoff between deliveries after a downstream failure; the entry stays on disk meanwhile. */
    retry: z
      .strictObject({
        initial_interval: durationSchema.default(1000),
        max_interval: durationSchema.default(30_000),
        multiplier: z.number().gte(1).default(2),
      })
      .prefault({}),
    /** What refused senders are told to wait when the queue is full (Retry-After / RetryInfo). */
    retry_after: durationSchema.default(5000),
    /**
     * How long shutdown keeps delivering: with `drain_on_shutdown`, what is stored, until nothing is
     * left; otherwise only the requests already in flight. It is also bounded by the service's
     * `shutdown_timeout`, which must leave time after it for the semantic processor to release held
     * spans and for the exporters. Whatever is not delivered stays on disk for the next start.
     */
    shutdown_wait: durationSchema.default(2000),
    /** Keep delivering stored requests during `shutdown_wait`, rather than only finishing those in flight. */
    drain_on_shutdown: z.boolean().default(true),
  })
  .superRefine((config, context) => {
    if (config.retry.initial_interval <= 0) {
      context.addIssue({ code: 'custom', path: ['retry', 'initial_interval'], message: 'must be greater than zero' });
    }
    if (config.retry.max_interval < config.retry.initial_interval) {
      context.addIssue({
        code: 'custom',
        path: ['retry', 'max_interval'],
        message: 'must be at least retry.initial_interval',
      });
    }
  });

export type DurableQueueConfig = z.output<typeof durableQueueConfigSchema>;
