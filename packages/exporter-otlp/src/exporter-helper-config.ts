import { z } from 'zod';
import { durationSchema } from '@semtel/component';

/**
 * `sending_queue`: the collector's in-memory queue, sized in requests (`queue_size`, the
 * `requests` sizer), plus semtel's `max_size_mib` on the encoded bytes it holds, so that memory
 * stays bounded during an outage however large the requests are.
 */
export const sendingQueueSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    num_consumers: z.number().int().min(1).max(1000).default(10),
    queue_size: z.number().int().min(1).max(1_000_000).default(1000),
    max_size_mib: z
      .number()
      .positive('max_size_mib must be greater than 0')
      .max(1024 * 1024, 'max_size_mib must be at most 1048576 (1 TiB)')
      .default(256),
  })
  .prefault({});

/** `retry_on_failure`, durations in milliseconds after parsing. */
export const retryOnFailureSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    initial_interval: durationSchema.default(5000),
    max_interval: durationSchema.default(30_000),
    max_elapsed_time: durationSchema.default(300_000),
    multiplier: z.number().min(1).default(1.5),
    randomization_factor: z.number().min(0).max(1).default(0.5),
  })
  .prefault({})
  .check((context) => {
    const retry = context.value;
    if (retry.max_interval < retry.initial_interval) {
      context.issues.push({
        code: 'custom',
        input: retry,
        path: ['max_interval'],
        message: 'max_interval must be greater than or equal to initial_interval',
      });
    }
    if (retry.max_elapsed_time > 0 && retry.max_elapsed_time < retry.initial_interval) {
      context.issues.push({
        code: 'custom',
        input: retry,
        path: ['max_elapsed_time'],
        message: 'max_elapsed_time must be 0 (retry until shutdown) or at least initial_interval',
      });
    }
  });

export const compressionSchema = z.enum(['gzip', 'none']).default('gzip');

/** Request headers (HTTP) or metadata (gRPC), e.g. `x-honeycomb-team`. */
export const headersSchema = z.record(z.string().min(1), z.string()).default({});

/** Client TLS, as in the collector's `configtls` client settings. */
export const tlsClientSchema = z
  .strictObject({
    /** gRPC: plaintext. HTTP: the URL scheme decides, so this is only read by gRPC. */
    insecure: z.boolean().optional(),
    /** Accept any server certificate (testing only). */
    insecure_skip_verify: z.boolean().default(false),
    /** PEM file with the CA certificates that sign the server's certificate. */
    ca_file: z.string().min(1).optional(),
    /** PEM client certificate and key for mutual TLS; both or neither. */
    cert_file: z.string().min(1).optional(),
    key_file: z.string().min(1).optional(),
    /** Overrides the name checked against the server certificate. */
    server_name_override: z.string().min(1).optional(),
  })
  .prefault({})
  .check((context) => {
    if ((context.value.cert_file === undefined) !== (context.value.key_file === undefined)) {
      context.issues.push({
        code: 'custom',
        input: context.value,
        path: [context.value.cert_file === undefined ? 'cert_file' : 'key_file'],
        message: 'cert_file and key_file must be set together',
      });
    }
  });

export type SendingQueueConfig = z.output<typeof sendingQueueSchema>;
export type RetryOnFailureConfig = z.output<typeof retryOnFailureSchema>;
export type TlsClientConfig = z.output<typeof tlsClientSchema>;

/** What every queued exporter shares: queue, retry and the per-attempt timeout (ms). */
export interface ExporterHelperConfig {
  sending_queue: SendingQueueConfig;
  retry_on_failure: RetryOnFailureConfig;
  timeout: number;
}
