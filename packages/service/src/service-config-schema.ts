import { durationSchema } from '@semtel/component';
import { z } from 'zod';
import { endpointSchema } from '@semtel/receiver-otlp';

/** YAML `key:` with no value is null; the collector reads it as "empty", and so do we. */
const emptyWhenNull =
  (empty: () => unknown) =>
  (value: unknown): unknown =>
    value ?? empty();

const idListSchema = z.preprocess(
  emptyWhenNull(() => []),
  z.array(z.string().min(1, 'an id must not be empty')),
);

export const pipelineConfigSchema = z.preprocess(
  emptyWhenNull(() => ({})),
  z.strictObject({
    receivers: idListSchema,
    processors: idListSchema,
    exporters: idListSchema,
  }),
);

/** Each key of `service:`, parsed one by one so that one bad key does not hide problems elsewhere. */
export const serviceSectionSchemas = {
  extensions: idListSchema,
  pipelines: z.preprocess(
    emptyWhenNull(() => ({})),
    z.record(z.string(), pipelineConfigSchema),
  ),
  telemetry: z.preprocess(
    emptyWhenNull(() => ({})),
    z.strictObject({
      metrics: z.preprocess(
        emptyWhenNull(() => ({})),
        z.strictObject({
          /** none: no /metrics endpoint. basic, normal and detailed serve the same metrics today. */
          level: z.enum(['none', 'basic', 'normal', 'detailed']).default('normal'),
          address: endpointSchema.default('127.0.0.1:8888'),
        }),
      ),
      logs: z.preprocess(
        emptyWhenNull(() => ({})),
        z.strictObject({
          level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'none']).default('info'),
        }),
      ),
    }),
  ),
  /** The whole shutdown budget: receivers stop, processors drain, exporters flush, all within it. */
  shutdown_timeout: durationSchema.default(10_000),
};

/** `service:` — which components run, and the service's own telemetry. */
export const serviceConfigSchema = z.preprocess(
  emptyWhenNull(() => ({})),
  z.strictObject(serviceSectionSchemas),
);

export type ServiceConfig = z.output<typeof serviceConfigSchema>;
export type PipelineConfig = z.output<typeof pipelineConfigSchema>;
