import { z } from 'zod';
import {
  compressionSchema,
  headersSchema,
  retryOnFailureSchema,
  sendingQueueSchema,
  tlsClientSchema,
} from './exporter-helper-config.js';
import { durationSchema } from '@semtel/component';

/** `otlp_grpc` exporter config, in the collector's shape; durations parse to milliseconds. */
export const otlpGrpcConfigSchema = z.strictObject({
  /** `host:port`, or a URL: `http://` means plaintext, `https://` TLS. */
  endpoint: z.string().trim().min(1, 'endpoint is required (host:port)'),
  /** TLS is on unless `insecure: true` or the endpoint starts with `http://`. */
  tls: tlsClientSchema,
  /** Sent as gRPC metadata with every call. */
  headers: headersSchema,
  compression: compressionSchema,
  /** Per attempt; also sent to the server as the gRPC deadline. */
  timeout: durationSchema.default(5000),
  sending_queue: sendingQueueSchema,
  retry_on_failure: retryOnFailureSchema,
});

export type OtlpGrpcConfig = z.output<typeof otlpGrpcConfigSchema>;
