import type { Signal } from './encoding.js';

export const grpcExportPaths: Readonly<Record<Signal, string>> = Object.freeze({
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
  metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
});
