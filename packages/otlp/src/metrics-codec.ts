import type { Metrics } from '@semtel/pdata';
import type { Encoding } from './encoding.js';
import { asBuffer } from './hex.js';
import { protoTypes } from './proto-types.js';
import { decodeMessage, encodeMessage } from './request-body.js';

interface DataPointsHolder {
  dataPoints?: unknown[];
}

interface MetricMessage {
  gauge?: DataPointsHolder | null;
  sum?: DataPointsHolder | null;
  histogram?: DataPointsHolder | null;
  exponentialHistogram?: DataPointsHolder | null;
  summary?: DataPointsHolder | null;
}

interface ResourceMetricsMessage {
  scopeMetrics?: { metrics?: MetricMessage[] }[];
}

/**
 * Decodes an ExportMetricsServiceRequest body. Metrics pass through unchanged, so the decoded
 * protobufjs messages are kept as they are (opaque to everything but this codec).
 */
export function decodeMetrics(body: Uint8Array, encoding: Encoding): Metrics {
  // Copy the protobuf body: decoded bytes fields are views into it, and metrics may be held in a queue.
  const source = encoding === 'protobuf' ? Buffer.from(asBuffer(body)) : body;
  const request = decodeMessage(protoTypes.exportMetricsServiceRequest, source, encoding);
  const resourceMetrics = (request.resourceMetrics ?? []) as ResourceMetricsMessage[];
  return { resourceMetrics, dataPointCount: countMetricDataPoints(resourceMetrics) };
}

/** Encodes an ExportMetricsServiceRequest body from metrics this codec decoded. */
export function encodeMetrics(metrics: Metrics, encoding: Encoding): Uint8Array {
  return encodeMessage(protoTypes.exportMetricsServiceRequest, { resourceMetrics: metrics.resourceMetrics }, encoding);
}

function countMetricDataPoints(resourceMetrics: readonly ResourceMetricsMessage[]): number {
  let count = 0;
  for (const resource of resourceMetrics) {
    for (const scope of resource.scopeMetrics ?? []) {
      for (const metric of scope.metrics ?? []) {
        const data = metric.gauge ?? metric.sum ?? metric.histogram ?? metric.exponentialHistogram ?? metric.summary;
        count += data?.dataPoints?.length ?? 0;
      }
    }
  }
  return count;
}
