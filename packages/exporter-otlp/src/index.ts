export { debugConfigSchema, debugExporterFactory } from './debug-exporter-factory.js';
export type { DebugConfig } from './debug-exporter-factory.js';
export type { ExportTransport, SignalData } from './exporter-helper.js';
export { ExporterHelper } from './exporter-helper.js';
export type {
  ExporterHelperConfig,
  RetryOnFailureConfig,
  SendingQueueConfig,
  TlsClientConfig,
} from './exporter-helper-config.js';
export {
  compressionSchema,
  headersSchema,
  retryOnFailureSchema,
  sendingQueueSchema,
  tlsClientSchema,
} from './exporter-helper-config.js';
export { fileConfigSchema, fileExporterFactory } from './file-exporter-factory.js';
export type { FileConfig } from './file-exporter-factory.js';
export { formatAnyValue, formatTimestamp } from './format-telemetry-text.js';
export { otlpGrpcConfigSchema } from './otlp-grpc-config.js';
export type { OtlpGrpcConfig } from './otlp-grpc-config.js';
export { otlpGrpcExporterFactory } from './otlp-grpc-exporter-factory.js';
export { otlpHttpConfigSchema } from './otlp-http-config.js';
export type { OtlpHttpConfig } from './otlp-http-config.js';
export { otlpHttpExporterFactory } from './otlp-http-exporter-factory.js';
export { parseRetryAfter } from './parse-retry-after.js';
export { RetryPolicy } from './retry-policy.js';
export type { RetryConfig } from './retry-policy.js';
export { SendingQueue } from './sending-queue.js';
