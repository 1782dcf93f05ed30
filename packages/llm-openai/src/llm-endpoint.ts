import { AzureOpenAI, OpenAI } from 'openai';
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { AimdConcurrencyController } from './concurrency-controller.js';
import type { ConcurrencyControllerOptions } from './concurrency-controller.js';
import { CircuitBreaker } from './circuit-breaker.js';
import type { CircuitBreakerOptions } from './circuit-breaker.js';
import { EndpointRateLimiter } from './endpoint-rate-limiter.js';
import type { SharedLimitOptions } from './endpoint-rate-limiter.js';
import { LlmError, toLlmError } from './llm-error.js';
import type { ResolvedEndpoint } from './openai-classifier-config.js';
import { chooseOutputLimitParameter, otherOutputLimitParameter } from './output-limit-parameter.js';
import type { OutputLimitParameter } from './output-limit-parameter.js';
import { parseRateLimitHeaders } from './rate-limit-headers.js';
import type { RateLimitInfo } from './rate-limit-headers.js';

const secretHeaderPattern = /auth|key|token|secret|cookie|signature/i;

export interface LlmEndpointOptions {
  concurrency: ConcurrencyControllerOptions;
  /** Give back the unused part of each charge (see `EndpointRateLimiterOptions.refundUnused`). */
  refundUnusedTokens?: boolean;
  circuit: CircuitBreakerOptions;
  /** A rate limit shared with other replicas; the endpoint's name keys it. */
  sharedLimit?: Omit<SharedLimitOptions, 'endpoint'>;
  fetch?: typeof fetch;
  now?: () => number;
}

export interface EndpointResponse {
  data: ChatCompletion;
  status: number;
  rateLimits: RateLimitInfo;
}

/**
 * One OpenAI-compatible endpoint (or Azure deployment) with its own client, rate limiter,
 * AIMD concurrency limit and circuit breaker. The client never retries: every 429 must reach
 * the controller.
 */
export class LlmEndpoint {
  readonly name: string;
  readonly model: string;
  readonly weight: number;
  readonly fallback: boolean;
  readonly limiter: EndpointRateLimiter;
  readonly concurrency: AimdConcurrencyController;
  readonly breaker: CircuitBreaker;
  /** Values that must never appear in an error message, log or metric. */
  readonly secrets: string[];
  /** The `x-ratelimit-*` values of the latest response. */
  rateLimits: RateLimitInfo | undefined;
  /** Smoothed duration of successful requests, for routing. */
  averageLatencyMs = 1000;
  private readonly client: OpenAI;
  private outputLimit: OutputLimitParameter;
  /** `auto` may switch the output-cap field once; an explicit choice never changes. */
  private outputLimitSwitchable: boolean;

  constructor(resolved: ResolvedEndpoint, options: LlmEndpointOptions) {
    this.name = resolved.name;
    this.model = resolved.model;
    this.weight = resolved.weight;
    this.fallback = resolved.fallback;
    this.secrets = [
      ...(resolved.apiKey ? [resolved.apiKey] : []),
      ...Object.entries(resolved.headers)
        .filter(([name]) => secretHeaderPattern.test(name))
        .map(([, value]) => value),
    ];
    this.limiter = new EndpointRateLimiter({
      ...(resolved.rpm !== undefined ? { requestsPerMinute: resolved.rpm } : {}),
      ...(resolved.tpm !== undefined ? { tokensPerMinute: resolved.tpm } : {}),
      ignoreRequestLimitHeader: resolved.azure !== undefined,
      refundUnused: options.refundUnusedTokens ?? false,
      ...(options.sharedLimit ? { shared: { ...options.sharedLimit, endpoint: resolved.name } } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
    this.outputLimit = chooseOutputLimitParameter(resolved.maxTokensParameter, resolved);
    this.outputLimitSwitchable = resolved.maxTokensParameter === 'auto';
    this.concurrency = new AimdConcurrencyController(options.concurrency);
    this.breaker = new CircuitBreaker(options.circuit);
    const common = {
      // Retries are ours: the client's own would hide 429s and ignore long retry-after values.
      maxRetries: 0,
      // Each attempt passes its own timeout (scaled to its size); `send` also bounds the body.
      timeout: 600_000,
      defaultHeaders: resolved.headers,
      // The client's logger could print request details; our errors carry what is needed.
      logLevel: 'off' as const,
      organization: null,
      project: null,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    };
    if (resolved.azure) {
      const endpoint = (resolved.baseUrl ?? '').replace(/\/+$/, '');
      this.client = new AzureOpenAI({
        ...common,
        apiKey: resolved.apiKey,
        apiVersion: resolved.azure.api_version,
        deployment: resolved.azure.deployment,
        ...(endpoint.endsWith('/openai') ? { baseURL: endpoint } : { endpoint }),
      });
    } else {
      this.client = new OpenAI({
        ...common,
        // Local servers (vLLM, Ollama) need no key; the client insists on one, so send a placeholder.
        apiKey: resolved.apiKey ?? 'no-api-key',
        baseURL: resolved.baseUrl ?? 'https://api.openai.com/v1',
      });
    }
  }

  /** The request field the output cap goes in (`max_completion_tokens` or `max_tokens`). */
  get outputLimitParameter(): OutputLimitParameter {
    return this.outputLimit;
  }

  /**
   * The endpoint refused the output-cap field: with `auto`, use the other one from now on and say so
   * (true); an explicit choice, or a second refusal, stays as it is (false).
   */
  switchOutputLimitParameter(): boolean {
    if (!this.outputLimitSwitchable) return false;
    this.outputLimitSwitchable = false;
    this.outputLimit = otherOutputLimitParameter(this.outputLimit);
    return true;
  }

  recordLatency(durationMs: number): void {
    this.averageLatencyMs = this.averageLatencyMs * 0.8 + durationMs * 0.2;
  }

  /** One attempt, bounded by `timeoutMs` (body included) and the caller's signal. Throws a redacted LlmError. */
  async send(
    body: ChatCompletionCreateParamsNonStreaming,
    timeoutMs: number,
    callerSignal: AbortSignal | undefined,
  ): Promise<EndpointResponse> {
    if (callerSignal?.aborted) throw new LlmError('aborted', 'LLM request aborted');
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), timeoutMs);
    const signal = callerSignal ? AbortSignal.any([callerSignal, timeout.signal]) : timeout.signal;
    try {
      const { data, response } = await this.client.chat.completions
        .create(body, { signal, maxRetries: 0, timeout: Math.max(1, Math.round(timeoutMs)) })
        .withResponse();
      this.rateLimits = parseRateLimitHeaders(response.headers);
      return { data, status: response.status, rateLimits: this.rateLimits };
    } catch (thrown) {
      let error = toLlmError(thrown, this.secrets);
      if (callerSignal?.aborted) error = new LlmError('aborted', 'LLM request aborted');
      else if (timeout.signal.aborted || error.kind === 'timeout')
        error = new LlmError('timeout', `LLM request timed out after ${Math.round(timeoutMs)} ms`);
      if (error.rateLimits) this.rateLimits = error.rateLimits;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}
