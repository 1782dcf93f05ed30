import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { parseRateLimitHeaders, parseRetryAfterMs } from './rate-limit-headers.js';
import type { RateLimitInfo } from './rate-limit-headers.js';

/**
 * Why an LLM request failed, sorted by what the caller should do about it:
 * - `rate_limited`: RPM/TPM exceeded; wait `retryAfterMs` when known, then retry.
 * - `quota_exhausted`: billing or spend limit (`insufficient_quota`); never retry, tell someone.
 * - `context_length`: the prompt is longer than the model's context; split the batch.
 * - `request_too_large`: one request is larger than the whole TPM limit (or HTTP 413); split the batch.
 * - `server`: 5xx (or 408/409-style transient answers); retry with backoff.
 * - `timeout`: our request timeout passed; retry.
 * - `network`: connection failed; retry.
 * - `bad_request`: the endpoint refused the request (400/404/422 …); do not retry unchanged.
 * - `authentication`: 401/403; do not retry.
 * - `aborted`: the caller's AbortSignal fired; stop.
 * - `unavailable`: no endpoint can take a request (every circuit open); failed fast without sending.
 * - `over_budget`: the hourly or daily token/cost budget is spent; failed fast without sending.
 */
export type LlmErrorKind =
  | 'rate_limited'
  | 'quota_exhausted'
  | 'context_length'
  | 'request_too_large'
  | 'server'
  | 'timeout'
  | 'network'
  | 'bad_request'
  | 'authentication'
  | 'aborted'
  | 'unavailable'
  | 'over_budget';

const retryableKinds: ReadonlySet<LlmErrorKind> = new Set(['rate_limited', 'server', 'timeout', 'network']);

export interface LlmErrorDetails {
  status?: number;
  code?: string;
  type?: string;
  param?: string;
  retryAfterMs?: number;
  requestId?: string;
  rateLimits?: RateLimitInfo;
}

/** A failed LLM request. Its message never holds the API key or other configured secrets. */
export class LlmError extends Error {
  override readonly name = 'LlmError';
  readonly status?: number;
  readonly code?: string;
  readonly type?: string;
  readonly param?: string;
  readonly retryAfterMs?: number;
  readonly requestId?: string;
  readonly rateLimits?: RateLimitInfo;

  constructor(
    readonly kind: LlmErrorKind,
    message: string,
    details: LlmErrorDetails = {},
  ) {
    super(message);
    Object.assign(this, withoutUndefined(details));
  }

  get retryable(): boolean {
    return retryableKinds.has(this.kind);
  }
}

const quotaCodes = new Set([
  'insufficient_quota',
  'billing_hard_limit_reached',
  'billing_not_active',
  'credit_balance_exhausted',
  'organization_spend_limit_exceeded',
  'project_spend_limit_exceeded',
  'organization_usage_limit_exceeded',
]);

/**
 * Sorts anything the `openai` client throws into an LlmError, replacing every secret
 * (API key, secret header values) in the message with `[REDACTED]`. The original error is
 * not kept as `cause`, since its message may quote the key.
 */
export function toLlmError(error: unknown, secrets: readonly string[] = []): LlmError {
  if (error instanceof LlmError) return error;
  const redact = (text: string): string => redactSecrets(text, secrets);
  if (error instanceof APIUserAbortError) return new LlmError('aborted', 'LLM request aborted');
  if (error instanceof APIConnectionTimeoutError) return new LlmError('timeout', 'LLM request timed out');
  if (error instanceof APIConnectionError) {
    const cause = (error as { cause?: unknown }).cause;
    const detail = cause instanceof Error ? `${cause.message}${causeCode(cause)}` : error.message;
    return new LlmError('network', `LLM connection failed: ${redact(detail)}`);
  }
  if (error instanceof APIError) return fromApiError(error, redact);
  if (error instanceof Error && error.name === 'AbortError') return new LlmError('aborted', 'LLM request aborted');
  if (error instanceof TypeError) return new LlmError('network', `LLM connection failed: ${redact(error.message)}`);
  // Anything else came out of reading or decoding a response the endpoint got wrong.
  const message = error instanceof Error ? error.message : String(error);
  return new LlmError('server', `LLM response could not be read: ${redact(message)}`);
}

function fromApiError(error: APIError, redact: (text: string) => string): LlmError {
  const status = error.status ?? 0;
  const headers = error.headers;
  const body = (error.error ?? {}) as { message?: unknown };
  const rawMessage = typeof body.message === 'string' ? body.message : error.message;
  const code = typeof error.code === 'string' ? error.code : undefined;
  const type = typeof error.type === 'string' ? error.type : undefined;
  const details: LlmErrorDetails = {
    status,
    code,
    type,
    param: typeof error.param === 'string' ? error.param : undefined,
    requestId: error.requestID ?? undefined,
    rateLimits: headers ? parseRateLimitHeaders(headers) : undefined,
  };
  const message = `LLM request failed with HTTP ${status}${code ? ` (${code})` : ''}: ${redact(rawMessage)}`;
  const kind = sortStatus(status, code, type, rawMessage);
  if (kind === 'rate_limited' || kind === 'server') details.retryAfterMs = parseRetryAfterMs(headers, rawMessage);
  return new LlmError(kind, message, details);
}

const rateLimitCodes = new Set(['rate_limit_exceeded', 'slow_down']);
// Only for bodies without a code. Specific on purpose: OpenAI's ordinary low-tier 429 text links to
// .../account/billing, and that must not stop an endpoint for the quota cooldown.
const quotaMessagePattern = /\binsufficient[_ ]quota\b|exceeded your current quota|credit balance/i;

function sortStatus(status: number, code: string | undefined, type: string | undefined, message: string): LlmErrorKind {
  // Azure puts the HTTP status in `code` ("429"): that says nothing the status does not.
  const meaningfulCode = code !== undefined && !/^\d+$/.test(code) ? code : undefined;
  const quotaStatus = status === 429 || status === 403 || status === 402;
  if (meaningfulCode !== undefined && quotaCodes.has(meaningfulCode) && quotaStatus) return 'quota_exhausted';
  // "Request too large … (TPM)" comes with code rate_limit_exceeded, but waiting never helps it.
  if (status === 413 || /request too large/i.test(message)) return 'request_too_large';
  if (
    meaningfulCode === 'context_length_exceeded' ||
    /maximum context length|context[_ ]length|too many tokens in the prompt/i.test(message)
  ) {
    if (status === 400 || status === 422) return 'context_length';
  }
  if (meaningfulCode !== undefined && rateLimitCodes.has(meaningfulCode)) return 'rate_limited';
  if (type === 'insufficient_quota' && quotaStatus) return 'quota_exhausted';
  if (meaningfulCode === undefined && quotaStatus && quotaMessagePattern.test(message)) return 'quota_exhausted';
  if (status === 429) return 'rate_limited';
  if (status === 401 || status === 403) return 'authentication';
  if (status === 408) return 'timeout';
  if (status === 409 || status >= 500) return 'server';
  return 'bad_request';
}

/** Whether a 400 says the endpoint does not support the `json_schema` response format. */
export function isResponseFormatUnsupported(error: LlmError): boolean {
  return (
    error.kind === 'bad_request' &&
    (error.param === 'response_format' || /response_format|json_schema|structured output/i.test(error.message))
  );
}

const unsupportedParameterPattern = /unsupported|unrecognized|not supported|not permitted|extra inputs|unknown/i;

/**
 * Whether a 400/422 says the endpoint does not accept the request field `parameter` at all (OpenAI's
 * `unsupported_parameter` for `max_tokens` on reasoning models, Azure's "Unrecognized request argument
 * supplied" on older api-versions, pydantic's "Extra inputs are not permitted"), as opposed to refusing
 * its value.
 */
export function isParameterUnsupported(error: LlmError, parameter: string): boolean {
  if (error.kind !== 'bad_request') return false;
  if (error.param !== undefined && error.code === 'unsupported_parameter') return error.param === parameter;
  // "… Use 'max_completion_tokens' instead." names the field to use, not the one refused.
  const refusal = error.message.replace(/use '?[\w.]+'? instead/gi, '');
  return refusal.includes(parameter) && unsupportedParameterPattern.test(refusal);
}

/** Replaces every occurrence of each secret (of at least 4 characters) with `[REDACTED]`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length >= 4) result = result.split(secret).join('[REDACTED]');
  }
  return result;
}

function causeCode(cause: Error): string {
  const inner = (cause as { cause?: unknown }).cause;
  const code =
    inner && typeof inner === 'object' && 'code' in inner ? String((inner as { code: unknown }).code) : undefined;
  return code ? ` (${code})` : '';
}

function withoutUndefined(details: LlmErrorDetails): LlmErrorDetails {
  return Object.fromEntries(Object.entries(details).filter(([, value]) => value !== undefined)) as LlmErrorDetails;
}
