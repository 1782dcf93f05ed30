import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

// src/ and dist/ are both one level below the package root, so the same relative URL works
// under vitest (sources) and node (compiled output).
const protoDirectory = fileURLToPath(new URL('../proto/', import.meta.url));

const root = new protobuf.Root();
root.resolvePath = (_origin: string, target: string): string =>
  // protobufjs bundles the well-known google/protobuf types (Any, Duration) itself.
  target.startsWith('google/protobuf/') ? target : join(protoDirectory, target);
root.loadSync([
  'opentelemetry/proto/collector/trace/v1/trace_service.proto',
  'opentelemetry/proto/collector/logs/v1/logs_service.proto',
  'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
  'google/rpc/status.proto',
  'google/rpc/error_details.proto',
]);
root.resolveAll();

/**
 * Decoded messages record which member of a oneof is set in a virtual property (AnyValue's
 * `value`). protobufjs's setter for it deletes every other member, six property deletions per
 * AnyValue, although a freshly decoded message has none: a tenth of a decode's time. Messages of
 * these types get the property as a plain field of their own instead, so setting it is a store.
 * The codecs never read it (they test which member is an own property).
 */
function storeOneofNamesPlainly(type: protobuf.Type): void {
  const oneofs = type.oneofsArray;
  if (oneofs.length !== 1) return;
  const name = (oneofs[0] as protobuf.OneOf).name;
  type.ctor = class extends protobuf.Message<object> {
    [name]: string | undefined = undefined;
  } as unknown as protobuf.Constructor<object>;
}

function eachType(namespace: protobuf.NamespaceBase, visit: (type: protobuf.Type) => void): void {
  for (const nested of namespace.nestedArray) {
    if (nested instanceof protobuf.Type) visit(nested);
    if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) eachType(nested, visit);
  }
}
eachType(root.lookup('opentelemetry') as protobuf.Namespace, storeOneofNamesPlainly);

const lookup = (name: string): protobuf.Type => root.lookupType(name);

export const protoTypes = {
  exportTraceServiceRequest: lookup('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
  exportTraceServiceResponse: lookup('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse'),
  exportLogsServiceRequest: lookup('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest'),
  exportLogsServiceResponse: lookup('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse'),
  exportMetricsServiceRequest: lookup('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest'),
  exportMetricsServiceResponse: lookup('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse'),
  status: lookup('google.rpc.Status'),
  retryInfo: lookup('google.rpc.RetryInfo'),
} as const;

export const Long = protobuf.util.Long;

/**
 * How deeply messages may nest: protobufjs refuses to decode or encode deeper (protoc's default
 * recursion limit). The JSON decoder enforces the same limit, so what it accepts encodes.
 */
export const maxMessageDepth: number = protobuf.util.recursionLimit;
