import type { ExporterFactory } from '@semtel/component';
import { ExporterHelper } from './exporter-helper.js';
import type { OtlpHttpConfig } from './otlp-http-config.js';
import { otlpHttpConfigSchema } from './otlp-http-config.js';
import { OtlpHttpTransport } from './otlp-http-transport.js';

const signals = ['traces', 'logs', 'metrics'] as const;

/** `otlp_http`: OTLP/HTTP (protobuf or JSON) with the sending queue and retry. */
export const otlpHttpExporterFactory: ExporterFactory<OtlpHttpConfig> = {
  type: 'otlp_http',
  signals,
  configSchema: otlpHttpConfigSchema,
  create(settings, config) {
    return new ExporterHelper(settings, config, signals, new OtlpHttpTransport(config, settings.telemetry.logger));
  },
};
