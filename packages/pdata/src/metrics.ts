/**
 * Metrics pass through semtel unchanged, so they stay opaque: `resourceMetrics` holds the
 * codec's own decoded messages, which only the `otlp` package reads or writes. The data
 * point count is computed at decode time for the collector's self-metrics.
 */
export interface Metrics {
  readonly resourceMetrics: readonly unknown[];
  readonly dataPointCount: number;
}

export function countDataPoints(metrics: Metrics): number {
  return metrics.dataPointCount;
}
