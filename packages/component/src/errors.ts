/**
 * Errors that cross component boundaries. Receivers turn them into OTLP responses:
 * a {@link RetryableError} tells the sender to try again later (HTTP 503 or 429 with
 * Retry-After, gRPC UNAVAILABLE with RetryInfo); a {@link PermanentError} tells it not to.
 */
export class RetryableError extends Error {
  override readonly name = 'RetryableError';
  /** How long the sender should wait; receivers send it as Retry-After / RetryInfo. */
  readonly retryAfterMs: number | undefined;
  /** True when the cause is a rate or capacity limit (HTTP 429) rather than unavailability (503). */
  readonly throttled: boolean;

  constructor(message: string, options: { retryAfterMs?: number; throttled?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.retryAfterMs = options.retryAfterMs;
    this.throttled = options.throttled ?? false;
  }
}

export class PermanentError extends Error {
  override readonly name = 'PermanentError';
  /** True when the data itself is bad (HTTP 400, gRPC INVALID_ARGUMENT). */
  readonly badData: boolean;

  constructor(message: string, options: { badData?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.badData = options.badData ?? false;
  }
}

export function isRetryableError(error: unknown): error is RetryableError {
  return error instanceof RetryableError;
}

export function isPermanentError(error: unknown): error is PermanentError {
  return error instanceof PermanentError;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
