import { buildClassificationPrompt, buildOutputJsonSchema, parseClassificationOutput } from '@semtel/classifier';
import type {
  ClassificationItem,
  ClassificationOutcome,
  ClassificationUsage,
  Classifier,
  Taxonomy,
} from '@semtel/classifier';
import { AzureOpenAI, OpenAI } from 'openai';
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { isResponseFormatUnsupported, LlmError, toLlmError } from './llm-error.js';
import type { LlmErrorKind } from './llm-error.js';
import { openAiClassifierConfigSchema } from './openai-classifier-config.js';
import type { OpenAiClassifierConfig, OpenAiClassifierConfigInput } from './openai-classifier-config.js';
import { parseRateLimitHeaders } from './rate-limit-headers.js';
import type { RateLimitInfo } from './rate-limit-headers.js';
import { RetryPolicy } from './retry-policy.js';
import type { RetryEvent } from './retry-policy.js';

/** The `json_schema` name sent with every request (a-z, 0-9, `_`, `-`; at most 64 characters). */
export const outputSchemaName = 'semtel_classification';

/** One HTTP attempt, for self-metrics and logs. Holds no content and no credentials. */
export interface LlmRequestEvent {
  outcome: 'success' | LlmErrorKind;
  responseFormat: 'json_schema' | 'json_object';
  durationMs: number;
  status?: number;
  usage?: ClassificationUsage;
  rateLimits?: RateLimitInfo;
  retryAfterMs?: number;
}

export interface OpenAiClassifierOptions {
  /** Called after every HTTP attempt; exceptions it throws are ignored. */
  onRequest?: (event: LlmRequestEvent) => void;
  /** Called before each retry wait. */
  onRetry?: (event: RetryEvent) => void;
  /** A fetch implementation for the `openai` client (tests, proxies). */
  fetch?: typeof fetch;
  /** Source of retry jitter. */
  random?: () => number;
}

type ResponseFormatMode = 'json_schema' | 'json_object';
const secretHeaderPattern = /auth|key|token|secret|cookie|signature/i;

/**
 * Classifies batches of interactions with an OpenAI-compatible chat completions endpoint
 * (OpenAI, Azure OpenAI, vLLM, Ollama, LiteLLM) using the real `openai` client with its own
 * retries turned off, so every 429 reaches our retry policy.
 */
export class OpenAiClassifier implements Classifier {
  readonly model: string;
  readonly config: OpenAiClassifierConfig;
  private readonly client: OpenAI;
  private readonly retryPolicy: RetryPolicy;
  private readonly secrets: string[];
  private jsonSchemaRefused = false;
  private latestRateLimits: RateLimitInfo | undefined;

  constructor(
    config: OpenAiClassifierConfigInput,
    private readonly options: OpenAiClassifierOptions = {},
  ) {
    this.config = openAiClassifierConfigSchema.parse(config);
    const { config: parsed } = this;
    this.model = parsed.model;
    this.secrets = [
      ...(parsed.api_key ? [parsed.api_key] : []),
      ...Object.entries(parsed.headers)
        .filter(([name]) => secretHeaderPattern.test(name))
        .map(([, value]) => value),
    ];
    this.retryPolicy = new RetryPolicy({
      maxAttempts: parsed.retry.max_attempts,
      initialBackoffMs: parsed.retry.initial_backoff,
      maxBackoffMs: parsed.retry.max_backoff,
      maxRetryDelayMs: parsed.retry.max_retry_delay,
      ...(options.random ? { random: options.random } : {}),
    });
    const common = {
      // Retries are ours: the client's own would hide 429s and ignore long retry-after values.
      maxRetries: 0,
      timeout: Math.max(1, Math.round(parsed.timeout)),
      defaultHeaders: parsed.headers,
      // The client's logger could print request details; our errors carry what is needed.
      logLevel: 'off' as const,
      organization: null,
      project: null,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    };
    if (parsed.azure) {
      const endpoint = (parsed.base_url ?? '').replace(/\/+$/, '');
      this.client = new AzureOpenAI({
        ...common,
        apiKey: parsed.api_key,
        apiVersion: parsed.azure.api_version,
        deployment: parsed.azure.deployment,
        ...(endpoint.endsWith('/openai') ? { baseURL: endpoint } : { endpoint }),
      });
    } else {
      this.client = new OpenAI({
        ...common,
        // Local servers (vLLM, Ollama) need no key; the client insists on one, so send a placeholder.
        apiKey: parsed.api_key ?? 'no-api-key',
        baseURL: parsed.base_url ?? 'https://api.openai.com/v1',
      });
    }
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

  async classify(
    items: ClassificationItem[],
    taxonomy: Taxonomy,
    signal?: AbortSignal,
  ): Promise<ClassificationOutcome> {
    if (items.length === 0) return { labels: new Map(), invalid: [], model: this.model };
    const itemIds = items.map((item) => item.id);
    const prompt = buildClassificationPrompt(taxonomy, items);
    const schema = buildOutputJsonSchema(taxonomy, itemIds);
    const completion = await this.retryPolicy.run(
      () => this.complete(prompt, schema, signal),
      signal,
      this.options.onRetry,
    );
    const choice = completion.choices[0];
    const content = choice?.message.content;
    const outcome: ClassificationOutcome = {
      labels: new Map(),
      invalid: itemIds,
      model: completion.model || this.model,
      responseId: completion.id,
    };
    const usage = usageOf(completion);
    if (usage) outcome.usage = usage;
    // A refusal or an empty answer labels nothing; every item goes back to the caller as invalid.
    if (typeof content !== 'string' || content.trim() === '') return outcome;
    const parsed = parseClassificationOutput(content, taxonomy, itemIds);
    return { ...outcome, labels: parsed.labels, invalid: parsed.invalid };
  }

  private async complete(
    prompt: { instructions: string; input: string },
    schema: Record<string, unknown>,
    signal: AbortSignal | undefined,
  ): Promise<ChatCompletion> {
    const mode = this.responseFormat;
    try {
      return await this.request(mode, prompt, schema, signal);
    } catch (error) {
      if (
        mode === 'json_schema' &&
        this.config.response_format === 'auto' &&
        error instanceof LlmError &&
        isResponseFormatUnsupported(error)
      ) {
        this.jsonSchemaRefused = true;
        return await this.request('json_object', prompt, schema, signal);
      }
      throw error;
    }
  }

  private async request(
    mode: ResponseFormatMode,
    prompt: { instructions: string; input: string },
    schema: Record<string, unknown>,
    callerSignal: AbortSignal | undefined,
  ): Promise<ChatCompletion> {
    if (callerSignal?.aborted) throw new LlmError('aborted', 'LLM request aborted');
    const { config } = this;
    const body: ChatCompletionCreateParamsNonStreaming = {
      model: config.model,
      // Instructions first and unchanged between batches: a stable prefix the endpoint can cache.
      messages: [
        { role: 'system', content: prompt.instructions },
        {
          role: 'user',
          content: mode === 'json_object' ? `${prompt.input}\n\n${jsonObjectInstruction(schema)}` : prompt.input,
        },
      ],
      response_format:
        mode === 'json_schema'
          ? { type: 'json_schema', json_schema: { name: outputSchemaName, strict: true, schema } }
          : { type: 'json_object' },
    };
    if (config.temperature !== null) body.temperature = config.temperature;
    if (config.max_output_tokens !== undefined) body.max_completion_tokens = config.max_output_tokens;
    if (config.prompt_cache_key !== undefined) body.prompt_cache_key = config.prompt_cache_key;

    // Our own timeout covers the whole request, body included; the client's stops at the headers.
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), config.timeout);
    const signal = callerSignal ? AbortSignal.any([callerSignal, timeout.signal]) : timeout.signal;
    const started = performance.now();
    try {
      const { data, response } = await this.client.chat.completions
        .create(body, { signal, maxRetries: 0 })
        .withResponse();
      this.latestRateLimits = parseRateLimitHeaders(response.headers);
      const usage = usageOf(data);
      this.notify({
        outcome: 'success',
        responseFormat: mode,
        durationMs: performance.now() - started,
        status: response.status,
        rateLimits: this.latestRateLimits,
        ...(usage ? { usage } : {}),
      });
      return data;
    } catch (thrown) {
      let error = toLlmError(thrown, this.secrets);
      if (callerSignal?.aborted) error = new LlmError('aborted', 'LLM request aborted');
      else if (timeout.signal.aborted || error.kind === 'timeout')
        error = new LlmError('timeout', `LLM request timed out after ${config.timeout} ms`);
      if (error.rateLimits) this.latestRateLimits = error.rateLimits;
      this.notify({
        outcome: error.kind,
        responseFormat: mode,
        durationMs: performance.now() - started,
        ...(error.status !== undefined ? { status: error.status } : {}),
        ...(error.rateLimits ? { rateLimits: error.rateLimits } : {}),
        ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
      });
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private notify(event: LlmRequestEvent): void {
    try {
      this.options.onRequest?.(event);
    } catch {
      // An observer must not change the outcome of a request.
    }
  }
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
