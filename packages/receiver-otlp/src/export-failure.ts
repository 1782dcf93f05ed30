import { status as GrpcStatus } from '@grpc/grpc-js';
import { errorMessage, isPermanentError, isRetryableError } from '@semtel/component';

/** Sent as Retry-After / RetryInfo when the consumer asks for a retry without saying when. */
export const defaultRetryAfterMs = 1000;

/** How a refused export is answered on each transport, and how it is counted. */
export interface ExportFailure {
  httpStatus: number;
  grpcCode: GrpcStatus;
  message: string;
  /** Present exactly when the sender should retry: HTTP Retry-After and gRPC RetryInfo. */
  retryAfterMs?: number;
  /** `refused`: the pipeline said no; `failed`: something unexpected went wrong (collector semantics). */
  outcome: 'refused' | 'failed';
}

/**
 * Maps a consumer's rejection the way the collector's OTLP receiver does: retryable errors
 * become 503 (429 when throttled) / UNAVAILABLE, bad data 400 / INVALID_ARGUMENT, other
 * permanent errors 500 / INTERNAL. An error of unknown kind is treated as transient, so the
 * sender keeps the data and retries rather than dropping it.
 */
export function exportFailureFromError(error: unknown): ExportFailure {
  if (isRetryableError(error)) {
    return {
      httpStatus: error.throttled ? 429 : 503,
      grpcCode: GrpcStatus.UNAVAILABLE,
      message: error.message,
      retryAfterMs: error.retryAfterMs ?? defaultRetryAfterMs,
      outcome: 'refused',
    };
  }
  if (isPermanentError(error)) {
    return error.badData
      ? { httpStatus: 400, grpcCode: GrpcStatus.INVALID_ARGUMENT, message: error.message, outcome: 'refused' }
      : { httpStatus: 500, grpcCode: GrpcStatus.INTERNAL, message: error.message, outcome: 'refused' };
  }
  return {
    httpStatus: 503,
    grpcCode: GrpcStatus.UNAVAILABLE,
    message: `temporary failure, retry later: ${errorMessage(error)}`,
    retryAfterMs: defaultRetryAfterMs,
    outcome: 'failed',
  };
}

/** Retry-After in whole seconds, never 0, since a sender reads 0 as "retry at once". */
export function retryAfterSeconds(retryAfterMs: number): number {
  return Math.max(1, Math.ceil(retryAfterMs / 1000));
}
