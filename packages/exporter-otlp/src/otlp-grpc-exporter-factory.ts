import type { ExporterFactory } from '@semtel/component';
import { ExporterHelper } from './exporter-helper.js';
import type { OtlpGrpcConfig } from './otlp-grpc-config.js';
import { otlpGrpcConfigSchema } from './otlp-grpc-config.js';
import { OtlpGrpcTransport } from './otlp-grpc-transport.js';

const signals = ['traces', 'logs', 'metrics'] as const;

/** `otlp_grpc`: OTLP/gRPC (protobuf) with the sending queue and retry. */
export const otlpGrpcExporterFactory: ExporterFactory<OtlpGrpcConfig> = {
  type: 'otlp_grpc',
  signals,
  configSchema: otlpGrpcConfigSchema,
  create(settings, config) {
    return new ExporterHelper(settings, config, signals, new OtlpGrpcTransport(config, settings.telemetry.logger));
  },
};
