export type { Endpoint } from './endpoint.js';
export { endpointSchema, formatEndpoint, parseEndpoint } from './endpoint.js';
export type { ExportFailure } from './export-failure.js';
export { defaultRetryAfterMs, exportFailureFromError, retryAfterSeconds } from './export-failure.js';
export { encodingFromContentType } from './otlp-http-server.js';
export type { GrpcProtocolConfig, HttpProtocolConfig, OtlpReceiverConfig } from './otlp-receiver-config.js';
export {
  grpcProtocolConfigSchema,
  httpProtocolConfigSchema,
  otlpReceiverConfigSchema,
} from './otlp-receiver-config.js';
export type { OtlpReceiverFactory } from './otlp-receiver-factory.js';
export { otlpReceiverFactory } from './otlp-receiver-factory.js';
export type { OtlpReceiverAddresses } from './otlp-receiver.js';
export { OtlpReceiver } from './otlp-receiver.js';
export type { ContentCoding } from './request-body.js';
export { parseContentEncoding, readRequestBody, RequestBodyError } from './request-body.js';
