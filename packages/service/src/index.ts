export type { BuiltComponent, BuiltPipelines } from './build-pipelines.js';
export { buildPipelines } from './build-pipelines.js';
export { builtinFactories } from './builtin-factories.js';
export type { ConfigIssue } from './config-error.js';
export { ConfigError, formatConfigIssue } from './config-error.js';
export type { LogLevel } from './create-logger.js';
export { createLogger } from './create-logger.js';
export type { ComponentKind, Factories } from './factories.js';
export type { ConsumeFunction, ConsumerTarget } from './fan-out-consumer.js';
export { fanOut } from './fan-out-consumer.js';
export type { HealthCheckConfig } from './health-check-extension.js';
export {
  createHealthCheckExtensionFactory,
  HealthCheckExtension,
  healthCheckConfigSchema,
} from './health-check-extension.js';
export type { ConfigSource, LoadedConfig } from './load-config.js';
export { defaultConfigPath, loadConfig } from './load-config.js';
export { applyOtlpExporterEnvironment } from './otlp-exporter-environment.js';
export type { Environment, ParsedConfig } from './parse-config-yaml.js';
export { parseConfigYaml } from './parse-config-yaml.js';
export { PrometheusMeter } from './prometheus-meter.js';
export type { CliIo, SignalSource } from './run-cli.js';
export { packageVersion, runCli, usage } from './run-cli.js';
export type { RunningService, ServiceAddresses, StartServiceOptions } from './service.js';
export { startService } from './service.js';
export type { PipelineConfig, ServiceConfig } from './service-config-schema.js';
export { serviceConfigSchema } from './service-config-schema.js';
export type { ServiceState } from './service-status.js';
export { ServiceStatus } from './service-status.js';
export type { ComponentConfig, PipelineSpec, ResolvedConfig, ValidationResult } from './validate-config.js';
export { validateConfig } from './validate-config.js';
