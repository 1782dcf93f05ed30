import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { describe, expect, it } from 'vitest';
import {
  isParameterUnsupported,
  isResponseFormatUnsupported,
  LlmError,
  redactSecrets,
  toLlmError,
} from './llm-error.js';

const apiKey = 'sk-proj-secret-1234567890';

function apiError(status: number, error: Record<string, unknown>, headers: Record<string, string> = {}): APIError {
  return APIError.generate(status, { error }, undefined, new Headers({ 'x-request-id': 'req_1', ...headers }));
}

describe('toLlmError', () => {
  it('sorts a 429 rate limit with its retry delay and rate-limit headers', () => {
    const error = toLlmError(
      apiError(
        429,
        {
          message: 'Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3. Please try again in 20s.',
          type: 'requests',
          code: 'rate_limit_exceeded',
        },
        { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '20s' },
      ),
    );
    expect(error).toMatchObject({
      kind: 'rate_limited',
      status: 429,
      code: 'rate_limit_exceeded',
      retryAfterMs: 20_000,
      requestId: 'req_1',
      retryable: true,
    });
    expect(error.rateLimits?.requests).toEqual({ remaining: 0, resetMs: 20_000 });
  });

  it('sorts quota, too-large, context-length, auth, server and bad requests', () => {
    const cases: [APIError, string][] = [
      [
        apiError(429, {
          message: 'You exceeded your current quota, please check your plan and billing details.',
          type: 'insufficient_quota',
          code: 'insufficient_quota',
        }),
        'quota_exhausted',
      ],
      [
        apiError(429, {
          message: 'Over budget',
          type: 'insufficient_quota',
          code: 'organization_spend_limit_exceeded',
        }),
        'quota_exhausted',
      ],
      [
        apiError(429, {
          message: 'Request too large for gpt-4o on tokens per min (TPM): Limit 200000, Requested 205482.',
          type: 'tokens',
          code: 'rate_limit_exceeded',
        }),
        'request_too_large',
      ],
      [apiError(413, { message: 'Payload too large' }), 'request_too_large'],
      [
        apiError(400, {
          message: "This model's maximum context length is 128000 tokens.",
          code: 'context_length_exceeded',
        }),
        'context_length',
      ],
      [apiError(401, { message: 'Incorrect API key provided', code: 'invalid_api_key' }), 'authentication'],
      [apiError(403, { message: 'Forbidden' }), 'authentication'],
      [apiError(500, { message: 'The server had an error' }), 'server'],
      [apiError(503, { message: 'overloaded', code: 'server_is_overloaded' }), 'server'],
      [apiError(400, { message: 'Invalid value for temperature' }), 'bad_request'],
      [apiError(404, { message: 'The model does not exist' }), 'bad_request'],
    ];
    for (const [error, kind] of cases) expect(toLlmError(error).kind, error.message).toBe(kind);
    expect(toLlmError(cases[0]?.[0]).retryable).toBe(false);
  });

  it('sorts connection failures, timeouts and aborts', () => {
    expect(toLlmError(new APIConnectionTimeoutError()).kind).toBe('timeout');
    expect(
      toLlmError(new APIConnectionError({ message: 'Connection error.', cause: new TypeError('fetch failed') })).kind,
    ).toBe('network');
    expect(toLlmError(new APIUserAbortError()).kind).toBe('aborted');
    expect(toLlmError(new SyntaxError('Unexpected token')).kind).toBe('server');
  });

  it('keeps the API key out of messages, even when the server quotes it', () => {
    const error = toLlmError(
      apiError(401, { message: `Incorrect API key provided: ${apiKey}.`, code: 'invalid_api_key' }),
      [apiKey],
    );
    expect(error.message).not.toContain(apiKey);
    expect(error.message).toContain('[REDACTED]');
    expect(JSON.stringify(error)).not.toContain(apiKey);
    expect(String(error.stack)).not.toContain(apiKey);
    expect((error as { cause?: unknown }).cause).toBeUndefined();
    const network = toLlmError(
      new APIConnectionError({ message: 'x', cause: new TypeError(`bad url with ${apiKey}`) }),
      [apiKey],
    );
    expect(network.message).not.toContain(apiKey);
  });

  it('recognises a 400 that refuses the json_schema response format', () => {
    const refused = toLlmError(
      apiError(400, {
        message: "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.",
        param: 'response_format',
        type: 'invalid_request_error',
      }),
    );
    expect(isResponseFormatUnsupported(refused)).toBe(true);
    expect(isResponseFormatUnsupported(toLlmError(apiError(400, { message: 'Invalid value for temperature' })))).toBe(
      false,
    );
    expect(isResponseFormatUnsupported(new LlmError('server', 'response_format'))).toBe(false);
  });
});

describe('isParameterUnsupported', () => {
  it('recognises endpoints that do not read a field at all, not those refusing its value', () => {
    const openAi = toLlmError(
      apiError(400, {
        message:
          "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
        type: 'invalid_request_error',
        param: 'max_tokens',
        code: 'unsupported_parameter',
      }),
    );
    expect(isParameterUnsupported(openAi, 'max_tokens')).toBe(true);
    expect(isParameterUnsupported(openAi, 'max_completion_tokens')).toBe(false);
    const azure = toLlmError(
      apiError(400, { message: 'Unrecognized request argument supplied: max_completion_tokens', code: null }),
    );
    expect(isParameterUnsupported(azure, 'max_completion_tokens')).toBe(true);
    const pydantic = toLlmError(
      apiError(422, {
        message: "[{'loc': ('body', 'max_completion_tokens'), 'msg': 'Extra inputs are not permitted'}]",
      }),
    );
    expect(isParameterUnsupported(pydantic, 'max_completion_tokens')).toBe(true);
    const tooLarge = toLlmError(
      apiError(400, {
        message: 'max_tokens is too large: 100000. This model supports at most 16384 completion tokens.',
        param: 'max_tokens',
        code: 'invalid_value',
      }),
    );
    expect(isParameterUnsupported(tooLarge, 'max_tokens')).toBe(false);
  });
});

describe('redactSecrets', () => {
  it('replaces every occurrence and ignores tiny secrets', () => {
    expect(redactSecrets('a KEY123 b KEY123', ['KEY123'])).toBe('a [REDACTED] b [REDACTED]');
    expect(redactSecrets('abc', ['a'])).toBe('abc');
  });
});

describe('toLlmError: the sorting the orchestrator acts on', () => {
  it('treats slow_down and Azure 429s as rate limits, with their retry hints', () => {
    const slowDown = toLlmError(
      apiError(429, { message: 'Please reduce your rate of requests.', type: 'rate_limit_error', code: 'slow_down' }),
    );
    expect(slowDown).toMatchObject({ kind: 'rate_limited', retryable: true });
    const azure = toLlmError(
      apiError(
        429,
        {
          message:
            'Requests to the ChatCompletions_Create Operation have exceeded token rate limit of your current AIServices S0 pricing tier. Please retry after 37 seconds.',
          code: '429',
        },
        { 'retry-after-ms': '36500', 'retry-after': '37' },
      ),
    );
    expect(azure).toMatchObject({ kind: 'rate_limited', retryAfterMs: 36_500 });
  });

  it('sorts every billing code as quota_exhausted, never retryable', () => {
    for (const code of [
      'billing_hard_limit_reached',
      'credit_balance_exhausted',
      'project_spend_limit_exceeded',
      'organization_usage_limit_exceeded',
    ]) {
      const error = toLlmError(apiError(429, { message: 'billing', type: 'insufficient_quota', code }));
      expect([code, error.kind, error.retryable]).toEqual([code, 'quota_exhausted', false]);
    }
  });

  it('sorts by code first: a low-tier 429 whose text links to the billing page is a rate limit', () => {
    const lowTier = toLlmError(
      apiError(
        429,
        {
          message:
            'Rate limit reached for gpt-4o-mini in organization org-x on requests per day (RPD): Limit 200, Used 200, Requested 1. Please try again in 7m12s. Visit https://platform.openai.com/account/rate-limits to learn more. You can increase your rate limit by adding a payment method to your account at https://platform.openai.com/account/billing.',
          type: 'requests',
          code: 'rate_limit_exceeded',
        },
        { 'x-ratelimit-remaining-requests': '0' },
      ),
    );
    expect(lowTier).toMatchObject({ kind: 'rate_limited', retryable: true, retryAfterMs: 432_000 });
  });

  it('reads the message only when there is no code, and only for specific quota wording', () => {
    const noCode = (message: string, type?: string): string =>
      toLlmError(apiError(429, { message, ...(type ? { type } : {}), code: null })).kind;
    expect(noCode('You exceeded your current quota, please check your plan and billing details.')).toBe(
      'quota_exhausted',
    );
    expect(noCode('insufficient_quota')).toBe('quota_exhausted');
    expect(noCode('Your credit balance is too low to access the API.')).toBe('quota_exhausted');
    expect(noCode('Too many requests. See https://platform.openai.com/account/billing for your tier.')).toBe(
      'rate_limited',
    );
    expect(noCode('Slow down', 'insufficient_quota')).toBe('quota_exhausted');
    // Azure writes the status as the code: no information, so the message decides.
    expect(
      toLlmError(apiError(429, { message: 'Please check your plan and billing details.', code: '429' })).kind,
    ).toBe('rate_limited');
    expect(
      toLlmError(
        apiError(429, { message: 'You exceeded your current quota. Visit the billing page.', code: 'slow_down' }),
      ).kind,
    ).toBe('rate_limited');
  });

  it('keeps the fail-fast kinds not retryable', () => {
    expect(new LlmError('unavailable', 'circuit open').retryable).toBe(false);
    expect(new LlmError('over_budget', 'budget spent').retryable).toBe(false);
  });
});
