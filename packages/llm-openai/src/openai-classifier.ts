import { setTimeout as sleep } from 'node:timers/promises';
import {
  buildClassificationPrompt,
  buildOutputJsonSchema,
  classificationSchemaName,
  countTokens,
  maxOutputTokensPerItem,
  parseClassificationOutput,
} from '@semtel/classifier';
import type {
  ClassificationItem,
  ClassificationOutcome,
  ClassificationUsage,
  Classifier,
  ClassifyOptions,
  Taxonomy,
} from '@semtel/classifier';
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import type { CircuitState } from './circuit-breaker.js';
import { sharedLimitSaturatedCode } from './endpoint-rate-limiter.js';
import { EndpointRouter, expectedWaitMs } from './endpoint-router.js';
import type { RouteChoice } from './endpoint-router.js';
import { LlmEndpoint } from './llm-endpoint.js';
import type { EndpointResponse } from './llm-endpoint.js';
import { isParameterUnsupported, isResponseFormatUnsupported, LlmError, toLlmError } from './llm-error.js';
import type { LlmErrorKind } from './llm-error.js';
import type { LlmLogger, LlmObserver, LlmOrchestratorSnapshot, LlmRejection, LlmRequestEvent } from './llm-observer.js';
import { openAiClassifierConfigSchema, resolveEndpoints } from './openai-classifier-config.js';
import type { OpenAiClassifierConfig, OpenAiClassifierConfigInput } from './openai-classifier-config.js';
import { PriceTable } from './price-table.js';
import type { ModelPrice } from './price-table.js';
import type { RateLimitInfo } from './rate-limit-headers.js';
import { estimateRateLimitWaitMs } from './rate-limit-wait.js';
import { RetryPolicy } from './retry-policy.js';
import type { RetryEvent } from './retry-policy.js';
import type { SharedRateLimiter } from './shared-rate-limiter.js';
import { TokenBudget } from './token-budget.js';
import type { BudgetReservation } from './token-budget.js';

export interface OpenAiClassifierOptions {
  /** Called after every HTTP attempt; exceptions it throws are ignored. Same as `observer.onRequest`. */
  onRequest?: (event: LlmRequestEvent) => void;
  /** Called before each retry (the wait is the rate-limit pause or the backoff). */
  onRetry?: (event: RetryEvent) => void;
  /** Self-metrics hooks (requests, concurrency limits, circuits, budgets, alerts). */
  observer?: LlmObserver;
  /** Alerts (quota exhausted, bad credentials) and circuit changes go here. */
  logger?: LlmLogger;
  /** A fetch implementation for the `openai` client (tests, proxies). */
  fetch?: typeof fetch;
  /** Source of retry jitter and routing choices. */
  random?: () => number;
  /** Clock of the limiters, circuits and budget windows (epoch ms). */
  now?: () => number;
  /**
   * A rate limit shared by every replica (e.g. `@semtel/shared-state-redis`): each request takes its
   * charge there too, after the endpoint's local buckets, so N replicas together keep to one limit.
   */
  sharedRateLimiter?: SharedRateLimiter;
}

type ResponseFormatMode = 'json_schema' | 'json_object';
type Prompt = { instructions: string; input: string };

/** `LlmError.code` of a call failed because no further attempt could finish before the caller's deadline. */
export const deadlineExceededCode = 'deadline_exceeded';

/** Per-call options: `ClassifyOptions` of @semtel/classifier, under the name this package has exported. */
export type ClassifyCallOptions = ClassifyOptions;

/** Thrown inside the loop when the chosen endpoint went out of rotation while the request waited. */
class Rerouted extends Error {}

/** Bounds the routing loop whatever happens (attempts are bounded separately by `retry.max_attempts`). */
const maximumRounds = 64;
// Chat overhead (OpenAI cookbook): 3 tokens per message plus 3 priming the reply.
const chatOverheadTokens = 3 * 2 + 3;

/**
 * Classifies batches of interactions with one or more OpenAI-compatible chat completions endpoints
 * (OpenAI, Azure OpenAI, vLLM, Ollama, LiteLLM) using the real `openai` client with its own
 * retries turned off. Each endpoint has a rate limiter (RPM/TPM buckets corrected from the
 * `x-ratelimit-*` headers), an AIMD concurrency limit and a circuit breaker; requests are routed to
 * the endpoint that can serve them soonest, retried by error kind, bounded in time, and refused
 * fast (`unavailable`, `over_budget`) when nothing can or may serve them.
 */
export class OpenAiClassifier implements Classifier {
  readonly model: string;
  readonly config: OpenAiClassifierConfig;
  readonly endpoints: readonly LlmEndpoint[];
  private readonly router: EndpointRouter;
  private readonly retryPolicy: RetryPolicy;
  private readonly budget: TokenBudget;
  private readonly prices: PriceTable;
  private readonly observer: LlmObserver;
  private readonly now: () => number;
  private jsonSchemaRefused = false;
  private latestRateLimits: RateLimitInfo | undefined;
  private readonly outputTokensPerItem = new Map<string, number>();
  private instructionTokens: { text: string; tokens: number } | undefined;
  /** Why an endpoint is out of rotation for a long time (quota, credentials), until it answers again. */
  private readonly stopped = new Map<LlmEndpoint, 'quota_exhausted' | 'authentication'>();
  private sharedLimitErrorLoggedAt = Number.NEGATIVE_INFINITY;

  constructor(
    config: OpenAiClassifierConfigInput,
    private readonly options: OpenAiClassifierOptions = {},
  ) {
    this.config = openAiClassifierConfigSchema.parse(config);
    const parsed = this.config;
    this.now = options.now ?? Date.now;
    this.observer = {
      ...options.observer,
      onRequest: (event) => {
        options.onRequest?.(event);
        options.observer?.onRequest?.(event);
      },
    };
    this.endpoints = resolveEndpoints(parsed).map((resolved) => {
      const endpoint: LlmEndpoint = new LlmEndpoint(resolved, {
        refundUnusedTokens: parsed.refund_unused_tokens,
        concurrency: {
          initial: parsed.concurrency.initial,
          min: parsed.concurrency.min,
          max: parsed.concurrency.max,
          increaseAfter: parsed.concurrency.increase_after,
          decreaseFactor: parsed.concurrency.decrease_factor,
          onLimitChange: (limit) => this.call(() => this.observer.onConcurrencyLimit?.(resolved.name, limit)),
        },
        circuit: {
          failureThreshold: parsed.circuit.failure_threshold,
          cooldownMs: parsed.circuit.cooldown,
          maxCooldownMs: parsed.circuit.max_cooldown,
          now: this.now,
          onStateChange: (state, reason) => this.circuitChanged(resolved.name, state, reason),
        },
        now: this.now,
        ...(options.sharedRateLimiter
          ? {
              sharedLimit: {
                limiter: options.sharedRateLimiter,
                maxWaitMs: parsed.max_queue_wait,
                onError: (error: unknown) => this.sharedLimitFailed(resolved.name, error),
              },
            }
          : {}),
        ...(options.fetch ? { fetch: options.fetch } : {}),
      });
      return endpoint;
    });
    this.model = (this.endpoints[0] as LlmEndpoint).model;
    this.router = new EndpointRouter(this.endpoints, options.random);
    this.retryPolicy = new RetryPolicy({
      maxAttempts: parsed.retry.max_attempts,
      initialBackoffMs: parsed.retry.initial_backoff,
      maxBackoffMs: parsed.retry.max_backoff,
      maxRetryDelayMs: parsed.retry.max_retry_delay,
      ...(options.random ? { random: options.random } : {}),
    });
    this.budget = new TokenBudget(
      {
        ...(parsed.budget?.hourly
          ? { hourly: { tokens: parsed.budget.hourly.tokens, costUsd: parsed.budget.hourly.cost_usd } }
          : {}),
        ...(parsed.budget?.daily
          ? { daily: { tokens: parsed.budget.daily.tokens, costUsd: parsed.budget.daily.cost_usd } }
          : {}),
      },
      this.now,
    );
    this.prices = new PriceTable(
      Object.fromEntries(
        Object.entries(parsed.prices ?? {}).map(([model, price]): [string, ModelPrice] => [
          model,
          {
            input: price.input,
            output: price.output,
            ...(price.cached_input !== undefined ? { cachedInput: price.cached_input } : {}),
          },
        ]),
      ),
    );
  }

  /** The response format requests currently use (`auto` settles on `json_object` once `json_schema` is refused). */
  get responseFormat(): ResponseFormatMode {
    if (this.config.response_format === 'json_object') return 'json_object';
    if (this.config.response_format === 'auto' && this.jsonSchemaRefused) return 'json_object';
    return 'json_schema';
  }

  /** The `x-ratelimit-*` values of the latest response, when the endpoint sends them. */
  get rateLimits(): RateLimitInfo | undefined {
    return this.latestRateLimits;
  }

  /** Current state, for observable gauges (concurrency limits, circuits, budget). */
  snapshot(): LlmOrchestratorSnapshot {
    const endpoints = this.endpoints.map((endpoint) => ({
      name: endpoint.name,
      model: endpoint.model,
      fallback: endpoint.fallback,
      circuit: endpoint.breaker.state,
      concurrencyLimit: endpoint.concurrency.limit,
      inFlight: endpoint.concurrency.inFlight,
      queued: endpoint.concurrency.queued + endpoint.limiter.queued,
      ...endpoint.limiter.limits,
    }));
    return {
      circuit: endpoints.some((endpoint) => endpoint.circuit !== 'open') ? 'closed' : 'open',
      endpoints,
      budget: this.budget.remaining(),
    };
  }

  /**
   * How many requests this classifier can usefully have in flight: the primaries' concurrency maximum
   * together (the fallback serves only while they cannot, so it adds nothing on top).
   */
  get maxConcurrency(): number {
    const primaries = this.endpoints.filter((endpoint) => !endpoint.fallback).length;
    const fallbacks = this.endpoints.length - primaries;
    return Math.max(primaries, fallbacks) * this.config.concurrency.max;
  }

  /**
   * Classifies a batch. `options.deadline` (epoch ms on the classifier's clock, `Date.now` by default):
   * no attempt is started — a retry, or the first request behind a queue — whose expected wait plus
   * expected duration would end after it; the call fails at once instead (`timeout`, or `unavailable` /
   * `rate_limited` when failures or the rate limit are why), and nothing is sent that its caller would
   * abandon. `signal` still ends whatever is under way.
   */
  async classify(
    items: ClassificationItem[],
    taxonomy: Taxonomy,
    signal?: AbortSignal,
    options: ClassifyOptions = {},
  ): Promise<ClassificationOutcome> {
    if (items.length === 0) return { labels: new Map(), invalid: [], model: this.model };
    const itemIds = items.map((item) => item.id);
    const prompt = buildClassificationPrompt(taxonomy, items);
    const schema = buildOutputJsonSchema(taxonomy, itemIds);
    const outputTokens = this.outputCap(taxonomy, items.length);

    let reservation: BudgetReservation | undefined;
    if (this.budget.enabled) {
      const promptTokens = this.promptTokens(prompt, schema, this.responseFormat);
      const estimatedCost =
        this.prices.costOf(this.model, { inputTokens: promptTokens, outputTokens, cachedInputTokens: 0 }) ?? 0;
      reservation = this.budget.reserve(promptTokens + outputTokens, estimatedCost);
      if (!reservation) {
        this.rejected('over_budget');
        throw new LlmError('over_budget', `LLM budget exhausted: ${describeBudget(this.budget.remaining())}`);
      }
    }
    let completion: ChatCompletion;
    let endpoint: LlmEndpoint;
    try {
      ({ completion, endpoint } = await this.execute(prompt, schema, outputTokens, signal, options.deadline));
    } catch (error) {
      if (reservation) {
        this.budget.release(reservation);
        this.budgetChanged();
      }
      throw error;
    }
    const usage = usageOf(completion);
    if (reservation) {
      const model = completion.model || endpoint.model;
      this.budget.settle(
        reservation,
        usage ? usage.inputTokens + usage.outputTokens : reservation.tokens,
        usage ? (this.prices.costOf(model, usage) ?? 0) : reservation.costUsd,
      );
      this.budgetChanged();
    }
    const content = completion.choices[0]?.message.content;
    const outcome: ClassificationOutcome = {
      labels: new Map(),
      invalid: itemIds,
      model: completion.model || endpoint.model,
      responseId: completion.id,
    };
    if (usage) outcome.usage = usage;
    // A refusal or an empty answer labels nothing; every item goes back to the caller as invalid.
    if (typeof content !== 'string' || content.trim() === '') return outcome;
    const parsed = parseClassificationOutput(content, taxonomy, itemIds);
    return { ...outcome, labels: parsed.labels, invalid: parsed.invalid };
  }

  /** Routes, sends and retries one request until it succeeds, fails for good, or runs out of attempts or time. */
  private async execute(
    prompt: Prompt,
    schema: Record<string, unknown>,
    outputTokens: number,
    signal: AbortSignal | undefined,
    deadline: number | undefined,
  ): Promise<{ completion: ChatCompletion; endpoint: LlmEndpoint }> {
    const avoid = new Set<LlmEndpoint>();
    let lastError: LlmError | undefined;
    let attempt = 0;
    for (let round = 0; round < maximumRounds; round += 1) {
      if (signal?.aborted) throw lastError ?? new LlmError('aborted', 'LLM request aborted');
      const mode = this.responseFormat;
      const charge = this.promptTokens(prompt, schema, mode) + outputTokens;
      const choice = this.router.choose(charge, avoid);
      if (!choice.endpoint) throw this.noEndpoint(choice, charge, lastError);
      const endpoint = choice.endpoint;
      // Even the soonest endpoint cannot send within the longest queue wait accepted: say so now and send
      // nothing, rather than queue a request whose caller gives up while it waits or is in flight.
      const waitMs = expectedWaitMs(endpoint, charge);
      if (waitMs > this.config.max_queue_wait) {
        endpoint.breaker.releaseProbe();
        this.rejected('rate_limited');
        throw new LlmError(
          'rate_limited',
          `LLM endpoints saturated: capacity for this request at ${endpoint.name} in about ${Math.ceil(waitMs / 1000)} s, above max_queue_wait`,
          { retryAfterMs: waitMs },
        );
      }
      const late = this.pastDeadline(deadline, endpoint, waitMs, charge, lastError);
      if (late) {
        endpoint.breaker.releaseProbe();
        throw late;
      }
      attempt += 1;
      try {
        const response = await this.attempt(endpoint, mode, prompt, schema, outputTokens, charge, signal);
        return { completion: response.data, endpoint };
      } catch (thrown) {
        if (thrown instanceof Rerouted) {
          attempt -= 1;
          continue;
        }
        if (thrown instanceof LlmError && thrown.code === sharedLimitSaturatedCode) {
          // As above for the local queue: the limit shared with other replicas is spent for longer than
          // max_queue_wait; nothing was sent and the endpoint is not at fault.
          endpoint.breaker.releaseProbe();
          this.rejected('rate_limited');
          throw thrown;
        }
        const error = toLlmError(thrown);
        lastError = error;
        const delayMs = this.afterFailure(endpoint, error, attempt, charge);
        if (
          mode === 'json_schema' &&
          this.config.response_format === 'auto' &&
          isResponseFormatUnsupported(error) &&
          !this.jsonSchemaRefused
        ) {
          // Not the endpoint's fault: ask again at once in json_object mode, without spending an attempt.
          this.jsonSchemaRefused = true;
          attempt -= 1;
          continue;
        }
        if (isParameterUnsupported(error, endpoint.outputLimitParameter) && endpoint.switchOutputLimitParameter()) {
          // As above: the endpoint reads the output cap under the other name (reasoning models, old Azure).
          this.options.logger?.info(
            { endpoint: endpoint.name, parameter: endpoint.outputLimitParameter },
            'LLM endpoint refused the output-cap field; sending the other one from now on',
          );
          attempt -= 1;
          continue;
        }
        if (delayMs === undefined) throw error;
        avoid.add(endpoint);
        this.options.onRetry?.({ attempt, delayMs, error });
        // A rate limit pauses the endpoint's limiter instead; and when another endpoint can take the
        // retry there is no reason to wait.
        if (error.kind === 'rate_limited' || this.hasAlternative(endpoint, charge)) continue;
        // No point sleeping for a retry that could not finish in time.
        const late = this.pastDeadline(deadline, endpoint, delayMs, charge, error);
        if (late) throw late;
        try {
          await sleep(delayMs, undefined, signal ? { signal } : undefined);
        } catch {
          // Aborted while waiting: the last failure says more than "aborted" does.
          throw error;
        }
      }
    }
    throw lastError ?? new LlmError('unavailable', 'LLM request could not be routed');
  }

  private async attempt(
    endpoint: LlmEndpoint,
    mode: ResponseFormatMode,
    prompt: Prompt,
    schema: Record<string, unknown>,
    outputTokens: number,
    charge: number,
    signal: AbortSignal | undefined,
  ): Promise<EndpointResponse> {
    try {
      await endpoint.concurrency.acquire(signal);
    } catch (error) {
      endpoint.breaker.releaseProbe();
      throw error;
    }
    try {
      await endpoint.limiter.acquire(charge, signal);
      if (endpoint.breaker.state === 'open') {
        // Other requests found the endpoint failing while this one waited: go elsewhere, or fail fast.
        endpoint.limiter.release(charge);
        throw new Rerouted();
      }
      const timeoutMs = this.timeoutFor(charge);
      const started = performance.now();
      // A 429 to this request cuts the concurrency limit only if no cut happened since it was sent.
      const epoch = endpoint.concurrency.epoch;
      const common = { endpoint: endpoint.name, model: endpoint.model, responseFormat: mode, chargedTokens: charge };
      try {
        const body = this.body(endpoint, mode, prompt, schema, outputTokens);
        const response = await endpoint.send(body, timeoutMs, signal);
        const durationMs = performance.now() - started;
        const usage = usageOf(response.data);
        endpoint.limiter.settle(charge, usage ? usage.inputTokens + usage.outputTokens : undefined);
        endpoint.limiter.observe(response.rateLimits);
        this.latestRateLimits = response.rateLimits;
        endpoint.concurrency.onSuccess(endpoint.concurrency.inFlight);
        endpoint.breaker.recordSuccess();
        this.stopped.delete(endpoint);
        endpoint.recordLatency(durationMs);
        const costUsd = usage ? this.prices.costOf(response.data.model || endpoint.model, usage) : undefined;
        this.notify({
          ...common,
          outcome: 'success',
          durationMs,
          status: response.status,
          rateLimits: response.rateLimits,
          ...(usage ? { usage } : {}),
          ...(costUsd !== undefined ? { costUsd } : {}),
        });
        return response;
      } catch (thrown) {
        const error = toLlmError(thrown);
        if (error.kind === 'rate_limited') endpoint.concurrency.onRateLimited(epoch);
        // A connection that never got through was not counted by the endpoint either.
        if (error.kind === 'network') endpoint.limiter.release(charge);
        endpoint.limiter.observe(error.rateLimits);
        if (error.rateLimits) this.latestRateLimits = error.rateLimits;
        this.notify({
          ...common,
          outcome: error.kind,
          durationMs: performance.now() - started,
          ...(error.status !== undefined ? { status: error.status } : {}),
          ...(error.rateLimits ? { rateLimits: error.rateLimits } : {}),
          ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
        });
        throw error;
      }
    } finally {
      endpoint.concurrency.release();
    }
  }

  /**
   * Applies a failure to the endpoint's controllers and says whether to retry: the delay (backoff, or
   * the rate-limit pause), or undefined to give up with this error.
   */
  private afterFailure(endpoint: LlmEndpoint, error: LlmError, attempt: number, charge: number): number | undefined {
    const { breaker } = endpoint;
    switch (error.kind) {
      case 'rate_limited': {
        // The concurrency limit was cut (or not) where the 429 came back, knowing when the request was sent.
        // A 429 proves the endpoint is up.
        breaker.recordSuccess();
        const retryAfter = error.retryAfterMs;
        // Only the endpoint's own word takes it out of rotation for long; an estimate never does.
        if (retryAfter !== undefined && retryAfter > this.config.retry.max_retry_delay) {
          endpoint.limiter.pause(retryAfter);
          breaker.openFor(retryAfter, `rate limited for ${Math.round(retryAfter / 1000)} s`);
          return this.hasAlternative(endpoint, 0) && attempt < this.config.retry.max_attempts ? 0 : undefined;
        }
        // No hint: until this request's charge fits again by the 429's headers, capped at max_backoff (the
        // buckets, lowered to the headers' remaining, keep pacing after that).
        const estimated = estimateRateLimitWaitMs(
          error.rateLimits,
          { requests: 1, tokens: charge },
          endpoint.limiter.limits,
        );
        const wait =
          retryAfter ?? (estimated === undefined ? undefined : Math.min(estimated, this.config.retry.max_backoff));
        const delay = this.retryPolicy.delayFor(error, attempt, wait);
        endpoint.limiter.pause(delay ?? wait ?? this.config.retry.initial_backoff);
        return delay;
      }
      case 'quota_exhausted':
      case 'authentication': {
        const cooldownMs = this.config.circuit.quota_cooldown;
        this.stopped.set(endpoint, error.kind);
        breaker.openFor(cooldownMs, error.kind === 'quota_exhausted' ? 'quota exhausted' : 'authentication failed');
        const alert = { kind: error.kind, endpoint: endpoint.name, message: error.message, cooldownMs };
        this.options.logger?.error(
          alert,
          error.kind === 'quota_exhausted'
            ? 'LLM endpoint out of quota (insufficient_quota / billing): not called until the cooldown passes; check the plan, credit and spend limits'
            : 'LLM endpoint refused the credentials: not called until the cooldown passes; check the API key',
        );
        this.call(() => this.observer.onAlert?.(alert));
        // Another endpoint may still serve this request.
        return this.hasAlternative(endpoint, 0) && attempt < this.config.retry.max_attempts ? 0 : undefined;
      }
      case 'server':
      case 'timeout':
      case 'network':
        endpoint.concurrency.onFailure();
        breaker.recordFailure(error.message);
        return this.retryPolicy.delayFor(error, attempt);
      default:
        // Aborted, or a problem with this request (bad request, too large): nothing about the endpoint.
        breaker.releaseProbe();
        return undefined;
    }
  }

  /** The per-attempt timeout of a request charged `charge` tokens (it grows with the request's size). */
  private timeoutFor(charge: number): number {
    return Math.min(this.config.max_timeout, this.config.timeout + (this.config.timeout_per_1k_tokens * charge) / 1000);
  }

  /**
   * The error to fail with when an attempt at `endpoint`, starting in `waitMs`, would be expected to end
   * after `deadline` (its duration: the endpoint's recent average, at most the attempt's timeout); else
   * undefined. After failures the endpoint was `unavailable` in the time there was (`timeout` when the
   * last attempt timed out); before any, the rate limit's queue (`rate_limited`) or too little time (`timeout`).
   */
  private pastDeadline(
    deadline: number | undefined,
    endpoint: LlmEndpoint,
    waitMs: number,
    charge: number,
    lastError: LlmError | undefined,
  ): LlmError | undefined {
    if (deadline === undefined) return undefined;
    const leftMs = deadline - this.now();
    const durationMs = Math.min(endpoint.averageLatencyMs, this.timeoutFor(charge));
    if (waitMs + durationMs <= leftMs) return undefined;
    const kind: LlmErrorKind = lastError
      ? lastError.kind === 'timeout'
        ? 'timeout'
        : 'unavailable'
      : waitMs > 0
        ? 'rate_limited'
        : 'timeout';
    if (kind !== 'timeout') this.rejected(kind === 'rate_limited' ? 'rate_limited' : 'unavailable');
    const why = lastError ? `; last failure: ${lastError.message}` : '';
    return new LlmError(
      kind,
      `LLM ${lastError ? 'retry' : 'request'} not started: at ${endpoint.name} it would start in about ${Math.ceil(waitMs)} ms and take about ${Math.ceil(durationMs)} ms, past the caller's deadline (${Math.max(0, Math.floor(leftMs))} ms left)${why}`,
      {
        code: deadlineExceededCode,
        ...(lastError?.status !== undefined ? { status: lastError.status } : {}),
        ...(waitMs > 0 ? { retryAfterMs: Math.ceil(waitMs) } : {}),
      },
    );
  }

  /** Whether another endpoint than `endpoint` could take a request of `tokens` now. */
  private hasAlternative(endpoint: LlmEndpoint, tokens: number): boolean {
    return this.endpoints.some((other) => other !== endpoint && other.breaker.available && other.limiter.fits(tokens));
  }

  private noEndpoint(choice: RouteChoice, charge: number, lastError: LlmError | undefined): LlmError {
    if (choice.endpoint === undefined && choice.reason === 'too_large') {
      this.rejected('request_too_large');
      return new LlmError(
        'request_too_large',
        `LLM request of about ${charge} tokens is larger than the tokens-per-minute limit (${choice.limit}) of every endpoint; split the batch`,
      );
    }
    // Within a request's retries, the failure that took the last endpoint out says most.
    if (lastError) return lastError;
    const stoppedKinds = new Set(this.stopped.values());
    const allStopped = this.endpoints.every((endpoint) => this.stopped.has(endpoint));
    const kind: LlmErrorKind =
      allStopped && stoppedKinds.size === 1 && stoppedKinds.has('quota_exhausted') ? 'quota_exhausted' : 'unavailable';
    this.rejected(kind === 'quota_exhausted' ? 'quota_exhausted' : 'unavailable');
    const states = this.endpoints
      .map((endpoint) => {
        const waitMs = endpoint.breaker.remainingOpenMs;
        const reason = this.stopped.get(endpoint) ?? endpoint.breaker.reason;
        return `${endpoint.name}: ${endpoint.breaker.state}${reason ? ` (${reason})` : ''}${waitMs > 0 ? `, next try in ${Math.ceil(waitMs / 1000)} s` : ''}`;
      })
      .join('; ');
    return new LlmError(kind, `no LLM endpoint available (circuit open): ${states}`);
  }

  private body(
    endpoint: LlmEndpoint,
    mode: ResponseFormatMode,
    prompt: Prompt,
    schema: Record<string, unknown>,
    outputTokens: number,
  ): ChatCompletionCreateParamsNonStreaming {
    const { config } = this;
    const body: ChatCompletionCreateParamsNonStreaming = {
      model: endpoint.model,
      // Instructions first and unchanged between batches: a stable prefix the endpoint can cache.
      messages: [
        { role: 'system', content: prompt.instructions },
        { role: 'user', content: userContent(mode, prompt, schema) },
      ],
      response_format:
        mode === 'json_schema'
          ? { type: 'json_schema', json_schema: { name: classificationSchemaName, strict: true, schema } }
          : { type: 'json_object' },
    };
    if (config.temperature !== null) body.temperature = config.temperature;
    // Always capped: unbounded output costs and takes time, and Azure reserves the whole context without it.
    body[endpoint.outputLimitParameter] = outputTokens;
    if (config.prompt_cache_key !== undefined) body.prompt_cache_key = config.prompt_cache_key;
    return body;
  }

  /** Prompt tokens as the endpoint counts them: the schema, both messages, and the chat overhead. */
  private promptTokens(prompt: Prompt, schema: Record<string, unknown>, mode: ResponseFormatMode): number {
    if (this.instructionTokens?.text !== prompt.instructions)
      this.instructionTokens = { text: prompt.instructions, tokens: countTokens(prompt.instructions) };
    const schemaTokens = mode === 'json_schema' ? countTokens(JSON.stringify(schema)) : 0;
    return (
      this.instructionTokens.tokens + countTokens(userContent(mode, prompt, schema)) + schemaTokens + chatOverheadTokens
    );
  }

  /**
   * The output cap of a batch: `max_output_tokens`, else the batch's longest possible answer, items ×
   * (`output_tokens_per_item` or the longest answer the taxonomy allows per item) + `extra_output_tokens`.
   * It is sent, and charged to the rate limiter and budget.
   */
  private outputCap(taxonomy: Taxonomy, items: number): number {
    if (this.config.max_output_tokens !== undefined) return this.config.max_output_tokens;
    let perItem = this.config.output_tokens_per_item ?? this.outputTokensPerItem.get(taxonomy.version);
    if (perItem === undefined) {
      perItem = maxOutputTokensPerItem(taxonomy);
      if (this.outputTokensPerItem.size > 16) this.outputTokensPerItem.clear();
      this.outputTokensPerItem.set(taxonomy.version, perItem);
    }
    return perItem * items + this.config.extra_output_tokens;
  }

  private circuitChanged(endpoint: string, state: CircuitState, reason: string): void {
    if (state === 'open') this.options.logger?.warn({ endpoint, reason }, 'LLM endpoint taken out of rotation');
    else if (state === 'closed') this.options.logger?.info({ endpoint }, 'LLM endpoint back in rotation');
    this.call(() => this.observer.onCircuitState?.(endpoint, state));
  }

  /** The shared limiter threw instead of failing open itself: go on locally, and say so now and then. */
  private sharedLimitFailed(endpoint: string, error: unknown): void {
    const now = this.now();
    if (now - this.sharedLimitErrorLoggedAt < 60_000) return;
    this.sharedLimitErrorLoggedAt = now;
    this.options.logger?.warn(
      { endpoint, error: error instanceof Error ? error.message : String(error) },
      'shared rate limiter failed; limiting locally only',
    );
  }

  private budgetChanged(): void {
    this.call(() => this.observer.onBudget?.(this.budget.remaining()));
  }

  private rejected(reason: LlmRejection): void {
    this.call(() => this.observer.onRejected?.(reason));
  }

  private notify(event: LlmRequestEvent): void {
    this.call(() => this.observer.onRequest?.(event));
  }

  private call(hook: () => void): void {
    try {
      hook();
    } catch {
      // An observer must not change the outcome of a request.
    }
  }
}

function userContent(mode: ResponseFormatMode, prompt: Prompt, schema: Record<string, unknown>): string {
  return mode === 'json_object' ? `${prompt.input}\n\n${jsonObjectInstruction(schema)}` : prompt.input;
}

/**
 * Without Structured Outputs the model only knows the shape from the prompt, so it is spelled out
 * after the items (keeping the instructions prefix stable). It also carries the word "JSON",
 * which OpenAI requires in the messages for `json_object` mode.
 */
function jsonObjectInstruction(schema: Record<string, unknown>): string {
  return `Respond with one JSON object that is valid against this JSON schema:\n${JSON.stringify(schema)}`;
}

function usageOf(completion: ChatCompletion): ClassificationUsage | undefined {
  const usage = completion.usage;
  if (!usage) return undefined;
  return {
    inputTokens: usage.prompt_tokens,
    outputTokens: usage.completion_tokens,
    cachedInputTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
  };
}

function describeBudget(remaining: ReturnType<TokenBudget['remaining']>): string {
  return remaining
    .map(
      (window) =>
        `${window.window}: ${window.tokens !== undefined ? `${window.tokens} tokens` : ''}${window.tokens !== undefined && window.costUsd !== undefined ? ', ' : ''}${window.costUsd !== undefined ? `$${window.costUsd.toFixed(4)}` : ''} left until ${new Date(window.resetsAt).toISOString()}`,
    )
    .join('; ');
}
