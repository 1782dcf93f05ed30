import { z } from 'zod';
import { endpointSchema } from './endpoint.js';

const mebibyte = 1024 * 1024;

/** The collector prepends the slash when it is missing, so `v1/traces` works there and here. */
const urlPathSchema = z
  .string()
  .trim()
  .min(1, 'URL path must not be empty')
  .refine((path) => !/[\s?#]/.test(path), 'URL path must not contain spaces, "?" or "#"')
  .transform((path) => (path.startsWith('/') ? path : `/${path}`));

/** YAML `grpc:` with no value means "enabled with defaults", as in the collector. */
const emptyAsDefaults = (value: unknown): unknown => value ?? {};

/** HTTP/2 cannot go below its 64 KiB default window (only widening is useful) or above 2^31 − 1 bytes. */
function http2WindowMibSchema(key: string) {
  return z
    .number()
    .min(0.0625, `${key} must be at least 0.0625 (64 KiB, the HTTP/2 default)`)
    .max(2047, `${key} must be at most 2047 (HTTP/2 windows are limited to 2 GiB)`);
}

export const grpcProtocolConfigSchema = z.strictObject({
  endpoint: endpointSchema.default('127.0.0.1:4317'),
  max_recv_msg_size_mib: z
    .number()
    .int('max_recv_msg_size_mib must be a whole number of MiB')
    .min(1, 'max_recv_msg_size_mib must be at least 1')
    .max(2047, 'max_recv_msg_size_mib must be below 2048 (gRPC frames are limited to 2 GiB)')
    .default(16),
  /**
   * HTTP/2 receive windows: what a client may send before semtel reads it, per stream and per
   * connection. Not collector keys; grpc-go servers size these dynamically up to 16 MiB.
   */
  stream_window_mib: http2WindowMibSchema('stream_window_mib').default(1),
  connection_window_mib: http2WindowMibSchema('connection_window_mib').default(16),
});

export const httpProtocolConfigSchema = z
  .strictObject({
    endpoint: endpointSchema.default('127.0.0.1:4318'),
    max_request_body_size: z
      .number()
      .int('max_request_body_size must be a whole number of bytes')
      .min(1, 'max_request_body_size must be at least 1 byte')
      .max(2047 * mebibyte, 'max_request_body_size must be below 2 GiB')
      .default(20 * mebibyte),
    traces_url_path: urlPathSchema.default('/v1/traces'),
    logs_url_path: urlPathSchema.default('/v1/logs'),
    metrics_url_path: urlPathSchema.default('/v1/metrics'),
  })
  .check((context) => {
    const seen = new Map<string, string>();
    for (const key of ['traces_url_path', 'logs_url_path', 'metrics_url_path'] as const) {
      const path = context.value[key];
      const other = seen.get(path);
      if (other !== undefined) {
        context.issues.push({
          code: 'custom',
          input: path,
          path: [key],
          message: `${key} "${path}" is already used by ${other}; each signal needs its own path`,
        });
      }
      seen.set(path, key);
    }
  });

/**
 * The `otlp` receiver's configuration, in the collector's shape. A protocol is enabled when
 * its key is present; an absent `protocols` enables both with their defaults.
 */
export const otlpReceiverConfigSchema = z
  .strictObject({
    /**
     * Request bytes held at once across both protocols (as received, and decompressed); beyond
     * it requests are refused with 503 / UNAVAILABLE and a retry delay. The key is the otel-arrow
     * receiver's.
     */
    admission: z
      .strictObject({
        request_limit_mib: z
          .number()
          .positive('request_limit_mib must be greater than 0')
          .max(1024 * 1024, 'request_limit_mib must be at most 1048576 (1 TiB)')
          .default(128),
      })
      .prefault({}),
    protocols: z
      .strictObject({
        grpc: z.preprocess(emptyAsDefaults, grpcProtocolConfigSchema).optional(),
        http: z.preprocess(emptyAsDefaults, httpProtocolConfigSchema).optional(),
      })
      .prefault({ grpc: {}, http: {} })
      .check((context) => {
        if (context.value.grpc === undefined && context.value.http === undefined) {
          context.issues.push({
            code: 'custom',
            input: context.value,
            message: 'enable at least one protocol: add "grpc" and/or "http" under protocols',
          });
        }
      }),
  })
  .prefault({});

export type GrpcProtocolConfig = z.output<typeof grpcProtocolConfigSchema>;
export type HttpProtocolConfig = z.output<typeof httpProtocolConfigSchema>;
export type OtlpReceiverConfig = z.output<typeof otlpReceiverConfigSchema>;
