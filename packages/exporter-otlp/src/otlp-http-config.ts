import { z } from 'zod';
import {
  compressionSchema,
  headersSchema,
  retryOnFailureSchema,
  sendingQueueSchema,
  tlsClientSchema,
} from './exporter-helper-config.js';
import { durationSchema } from '@semtel/component';

const httpUrlSchema = z.string().refine(
  (text) => {
    try {
      const url = new URL(text);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
    } catch {
      return false;
    }
  },
  { message: 'must be an http:// or https:// URL' },
);

/** `otlp_http` exporter config, in the collector's shape; durations parse to milliseconds. */
export const otlpHttpConfigSchema = z
  .strictObject({
    /** Base URL; `/v1/traces`, `/v1/logs` and `/v1/metrics` are appended to its path. */
    endpoint: httpUrlSchema.optional(),
    /** Full URLs used as-is, overriding `endpoint` for one signal. */
    traces_endpoint: httpUrlSchema.optional(),
    logs_endpoint: httpUrlSchema.optional(),
    metrics_endpoint: httpUrlSchema.optional(),
    encoding: z.enum(['proto', 'json']).default('proto'),
    compression: compressionSchema,
    headers: headersSchema,
    /** Per attempt. */
    timeout: durationSchema.default(30_000),
    tls: tlsClientSchema,
    sending_queue: sendingQueueSchema,
    retry_on_failure: retryOnFailureSchema,
  })
  .check((context) => {
    const config = context.value;
    if (
      config.endpoint === undefined &&
      config.traces_endpoint === undefined &&
      config.logs_endpoint === undefined &&
      config.metrics_endpoint === undefined
    ) {
      context.issues.push({
        code: 'custom',
        input: config,
        path: ['endpoint'],
        message: 'endpoint is required (or traces_endpoint, logs_endpoint, metrics_endpoint)',
      });
    }
  });

export type OtlpHttpConfig = z.output<typeof otlpHttpConfigSchema>;
