import { status as GrpcStatus } from '@grpc/grpc-js';
import { PermanentError, RetryableError } from '@semtel/component';
import { describe, expect, it } from 'vitest';
import { exportFailureFromError, retryAfterSeconds } from './export-failure.js';

describe('exportFailureFromError', () => {
  it('maps the error kinds the way the collector does', () => {
    expect(exportFailureFromError(new RetryableError('full', { retryAfterMs: 200 }))).toEqual({
      httpStatus: 503,
      grpcCode: GrpcStatus.UNAVAILABLE,
      message: 'full',
      retryAfterMs: 200,
      outcome: 'refused',
    });
    expect(exportFailureFromError(new RetryableError('slow down', { throttled: true }))).toMatchObject({
      httpStatus: 429,
      grpcCode: GrpcStatus.UNAVAILABLE,
      retryAfterMs: 1000,
    });
    expect(exportFailureFromError(new PermanentError('bad', { badData: true }))).toEqual({
      httpStatus: 400,
      grpcCode: GrpcStatus.INVALID_ARGUMENT,
      message: 'bad',
      outcome: 'refused',
    });
    expect(exportFailureFromError(new PermanentError('broken'))).toMatchObject({
      httpStatus: 500,
      grpcCode: GrpcStatus.INTERNAL,
    });
    expect(exportFailureFromError('a string')).toEqual({
      httpStatus: 503,
      grpcCode: GrpcStatus.UNAVAILABLE,
      message: 'temporary failure, retry later: a string',
      retryAfterMs: 1000,
      outcome: 'failed',
    });
  });

  it('rounds Retry-After up to whole seconds, at least 1', () => {
    expect(retryAfterSeconds(0)).toBe(1);
    expect(retryAfterSeconds(1)).toBe(1);
    expect(retryAfterSeconds(1000)).toBe(1);
    expect(retryAfterSeconds(1001)).toBe(2);
  });
});
