import {
  debugExporterFactory,
  fileExporterFactory,
  otlpGrpcExporterFactory,
  otlpHttpExporterFactory,
} from '@semtel/exporter-otlp';
import { durableQueueProcessorFactory } from '@semtel/processor-durable-queue';
import { memoryLimiterProcessorFactory } from '@semtel/processor-memory-limiter';
import { otlpReceiverFactory } from '@semtel/receiver-otlp';
import type { Factories } from './factories.js';
import { createHealthCheckExtensionFactory } from './health-check-extension.js';
import type { Environment } from './semantic-processor-with-llm.js';
import { createSemanticProcessorWithLlm } from './semantic-processor-with-llm.js';
import { ServiceStatus } from './service-status.js';

/** Every component type semtel ships; the health check reports on `status`. */
export function builtinFactories(
  status: ServiceStatus = new ServiceStatus(),
  environment: Environment = process.env,
): Factories {
  return {
    receivers: [otlpReceiverFactory],
    processors: [
      memoryLimiterProcessorFactory,
      durableQueueProcessorFactory,
      createSemanticProcessorWithLlm(environment),
    ],
    exporters: [otlpHttpExporterFactory, otlpGrpcExporterFactory, debugExporterFactory, fileExporterFactory],
    extensions: [createHealthCheckExtensionFactory(status)],
  };
}
