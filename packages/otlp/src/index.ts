export { CodecError } from './codec-error.js';
export type { Encoding, Signal } from './encoding.js';
export { decodeTraces, encodeTraces } from './traces-codec.js';
export { decodeLogs, encodeLogs } from './logs-codec.js';
export { decodeMetrics, encodeMetrics } from './metrics-codec.js';
export { receivedProtobuf, withReceivedProtobuf } from './received-protobuf.js';
export type { PartialSuccess } from './export-response.js';
export { decodeExportResponse, encodeExportResponse } from './export-response.js';
export type { RpcStatus } from './rpc-status.js';
export { decodeRpcStatus, encodeRpcStatus } from './rpc-status.js';
export { grpcExportPaths } from './grpc-export-paths.js';
export type { GrpcServerWindows, GrpcServerWindowsHook } from './grpc-server-windows.js';
export {
  defaultHttp2WindowBytes,
  grpcServerWindowOptions,
  maxHttp2WindowBytes,
  widenGrpcServerWindows,
} from './grpc-server-windows.js';
