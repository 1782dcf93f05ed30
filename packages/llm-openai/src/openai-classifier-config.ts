import { z } from 'zod';
import { parseGoDuration } from './go-duration.js';

/** A duration: a Go-style string (`500ms`, `60s`, `1m30s`) or a number of milliseconds. */
const durationSchema = z.union([z.number().nonnegative(), z.string()]).transform((value, context) => {
  if (typeof value === 'number') return value;
  const parsed = parseGoDuration(value);
  if (parsed === undefined) {
    context.addIssue({ code: 'custom', message: `invalid duration "${value}" (use forms like 500ms, 5s, 1m30s)` });
    return z.NEVER;
  }
  return parsed;
});

const retrySchema = z
  .object({
    /** Attempts in total, the first included. */
    max_attempts: z.number().int().min(1).max(10).default(3),
    initial_backoff: durationSchema.default(500),
    max_backoff: durationSchema.default(20_000),
    /** A longer retry-after than this is handed to the caller instead of waited for. */
    max_retry_delay: durationSchema.default(60_000),
  })
  .strict();

const concurrencySchema = z
  .object({
    /** Concurrent requests per endpoint at start. */
    initial: z.number().int().min(1).default(8),
    min: z.number().int().min(1).default(1),
    max: z.number().int().min(1).default(64),
    /** Successes in a row before the limit grows by one. */
    increase_after: z.number().int().min(1).default(10),
    /** Factor applied on the first 429 of a burst. */
    decrease_factor: z.number().min(0.1).max(0.99).default(0.75),
  })
  .strict()
  .refine((value) => value.min <= value.max, { message: 'min must not exceed max' });

const circuitSchema = z
  .object({
    /** Failures in a row (5xx, timeouts, connection errors) that take an endpoint out of rotation. */
    failure_threshold: z.number().int().min(1).default(3),
    /** First cooldown; doubles on every failed half-open probe, up to `max_cooldown`. */
    cooldown: durationSchema.default(5_000),
    max_cooldown: durationSchema.default(120_000),
    /** How long an endpoint that answered insufficient_quota / billing (or 401/403) is not called. */
    quota_cooldown: durationSchema.default(3_600_000),
  })
  .strict();

const budgetLimitSchema = z
  .object({
    /** Input + output tokens. */
    tokens: z.number().int().positive().optional(),
    /** Estimated cost in USD from the price table. */
    cost_usd: z.number().positive().optional(),
  })
  .strict();

const priceSchema = z
  .object({
    /** USD per 1M input tokens. */
    input: z.number().nonnegative(),
    /** USD per 1M cached input tokens (the input price when unset). */
    cached_input: z.number().nonnegative().optional(),
    /** USD per 1M output tokens. */
    output: z.number().nonnegative(),
  })
  .strict();

const azureSchema = z
  .object({
    deployment: z.string().min(1),
    api_version: z.string().min(1),
  })
  .strict();

/** Fields describing one endpoint (a base URL, key, model, deployment and its limits). */
const endpointFields = {
  /** OpenAI-compatible base URL (`https://api.openai.com/v1`, `http://127.0.0.1:11434/v1`, …); for Azure, the resource endpoint. */
  base_url: z.url({ protocol: /^https?$/ }).optional(),
  /** Usually `${env:OPENAI_API_KEY}`. Never logged; redacted from every error message. */
  api_key: z.string().min(1).optional(),
  /** Extra request headers (e.g. for a gateway). Values of headers named like auth/key/token/secret are redacted from errors. */
  headers: z.record(z.string(), z.string()).optional(),
  azure: azureSchema.optional(),
  /** Requests per minute; learnt from `x-ratelimit-limit-requests` when unset. */
  rpm: z.number().int().positive().optional(),
  /** Tokens per minute; learnt from `x-ratelimit-limit-tokens` when unset. */
  tpm: z.number().int().positive().optional(),
  /**
   * The field the output cap is sent in: `max_completion_tokens` (OpenAI's current name; reasoning models
   * refuse `max_tokens`), `max_tokens` (what every OpenAI-compatible server reads), or `auto`: by endpoint,
   * switching once for good when the endpoint refuses the one sent. At the top level, the default of
   * every endpoint.
   */
  max_tokens_parameter: z.enum(['auto', 'max_completion_tokens', 'max_tokens']).optional(),
};

const endpointSchema = z
  .object({
    /** Label in metrics and logs (default: the URL's host, plus the Azure deployment). */
    name: z
      .string()
      .regex(/^[\w.:/-]{1,64}$/, 'letters, digits and . : / - _ only, at most 64')
      .optional(),
    ...endpointFields,
    /** Model for this endpoint (default: the top-level `model`). */
    model: z.string().min(1).optional(),
    /** Share of traffic relative to the others (default: its tpm, else rpm, else 1). */
    weight: z.number().positive().optional(),
  })
  .strict();

/** Configuration of the LLM classifier (snake_case, as in the service YAML). */
export const openAiClassifierConfigSchema = z
  .object({
    ...endpointFields,
    /** The model; with `endpoints`, the default of each endpoint's `model`. */
    model: z.string().min(1).default('gpt-4o-mini'),
    /** Several endpoints (Azure regions, OpenAI, a local vLLM); replaces the single-endpoint keys. */
    endpoints: z.array(endpointSchema).min(1).max(32).optional(),
    /**
     * Used only while no primary endpoint can serve: a model name (the first endpoint with another
     * model) or an endpoint; an endpoint without `base_url` takes base_url, api_key, headers and azure
     * from the first endpoint.
     */
    fallback_model: z.union([z.string().min(1), endpointSchema]).optional(),
    /** Per-attempt timeout for a small request; grows with the request's size (below), body included. */
    timeout: durationSchema.pipe(z.number().positive()).default(20_000),
    /** Added to `timeout` per 1000 tokens of prompt plus maximum output. */
    timeout_per_1k_tokens: durationSchema.default(3_000),
    /** Upper bound of the scaled timeout. */
    max_timeout: durationSchema.pipe(z.number().positive()).default(120_000),
    /**
     * Longest expected wait for rate-limit capacity or a concurrency slot before a request is sent; a
     * longer one fails at once (`rate_limited` with `retryAfterMs`) instead of queueing. Keep it below the
     * processor's max_hold minus a typical request's duration, so queued requests are not abandoned.
     */
    max_queue_wait: durationSchema.default(15_000),
    /** `auto` tries `json_schema` and falls back to `json_object` for good once the endpoint refuses it. */
    response_format: z.enum(['auto', 'json_schema', 'json_object']).default('auto'),
    /**
     * A fixed output cap for every request. Unset: each request's cap is its batch's longest possible
     * answer, items × `output_tokens_per_item` + `extra_output_tokens`. Either way it is sent (so output is
     * bounded and Azure does not reserve the whole context), and the rate limiter and budget charge it.
     */
    max_output_tokens: z.number().int().positive().optional(),
    /** Output tokens per item of a batch; unset: the longest answer the taxonomy allows (every dimension). */
    output_tokens_per_item: z.number().int().positive().optional(),
    /**
     * Added to each request's derived cap: the answer's braces, and for reasoning models (which spend
     * `max_completion_tokens` on reasoning too) their reasoning allowance.
     */
    extra_output_tokens: z.number().int().min(0).default(16),
    /** `null` leaves temperature out (some reasoning models accept only their default). */
    temperature: z.number().min(0).max(2).nullable().default(0),
    /**
     * Give back to the local TPM bucket what a request charged (prompt + output cap) but did not use. Off:
     * OpenAI and Azure count the whole `max_tokens` against TPM, and refunding would send more than they
     * accept (the `x-ratelimit-remaining-tokens` headers correct the bucket either way). On for gateways
     * that count real usage.
     */
    refund_unused_tokens: z.boolean().default(false),
    /** Sent as `prompt_cache_key` to improve OpenAI prompt-cache routing. */
    prompt_cache_key: z.string().min(1).optional(),
    retry: retrySchema.prefault({}),
    concurrency: concurrencySchema.prefault({}),
    circuit: circuitSchema.prefault({}),
    budget: z.object({ hourly: budgetLimitSchema.optional(), daily: budgetLimitSchema.optional() }).strict().optional(),
    /** Overrides and additions to the default price table (USD per 1M tokens), by model name or prefix. */
    prices: z.record(z.string().min(1), priceSchema).optional(),
  })
  .strict()
  .superRefine((config, context) => {
    if (config.endpoints) {
      for (const key of ['base_url', 'api_key', 'headers', 'azure', 'rpm', 'tpm'] as const) {
        if (config[key] !== undefined)
          context.addIssue({
            code: 'custom',
            path: [key],
            message: `with endpoints, set ${key} on each endpoint instead`,
          });
      }
      config.endpoints.forEach((endpoint, index) => checkAzure(endpoint, ['endpoints', index], context));
      const names = config.endpoints.map((endpoint, index) => endpoint.name ?? `#${index}`);
      const duplicate = names.find((name, index) => names.indexOf(name) !== index);
      if (duplicate)
        context.addIssue({ code: 'custom', path: ['endpoints'], message: `duplicate endpoint name "${duplicate}"` });
    } else checkAzure(config, [], context);
    if (typeof config.fallback_model === 'object' && config.fallback_model.base_url !== undefined)
      checkAzure(config.fallback_model, ['fallback_model'], context);
  });

function checkAzure(
  endpoint: { azure?: unknown; base_url?: string; api_key?: string },
  path: (string | number)[],
  context: z.RefinementCtx,
): void {
  if (!endpoint.azure) return;
  if (endpoint.base_url === undefined)
    context.addIssue({
      code: 'custom',
      path: [...path, 'base_url'],
      message: 'azure needs base_url, the resource endpoint (https://<resource>.openai.azure.com)',
    });
  if (endpoint.api_key === undefined)
    context.addIssue({ code: 'custom', path: [...path, 'api_key'], message: 'azure needs api_key' });
}

export type OpenAiClassifierConfigInput = z.input<typeof openAiClassifierConfigSchema>;
export type OpenAiClassifierConfig = z.output<typeof openAiClassifierConfigSchema>;
export type EndpointConfig = z.output<typeof endpointSchema>;

/** One endpoint with everything resolved. */
export interface ResolvedEndpoint {
  name: string;
  baseUrl: string | undefined;
  apiKey: string | undefined;
  headers: Record<string, string>;
  azure: { deployment: string; api_version: string } | undefined;
  model: string;
  rpm: number | undefined;
  tpm: number | undefined;
  weight: number;
  fallback: boolean;
  /** The field the output cap is sent in, or `auto` (see `chooseOutputLimitParameter`). */
  maxTokensParameter: 'auto' | 'max_completion_tokens' | 'max_tokens';
}

/** The endpoints a config describes: `endpoints`, or the single top-level one; the fallback last. */
export function resolveEndpoints(config: OpenAiClassifierConfig): ResolvedEndpoint[] {
  const primaries: EndpointConfig[] = config.endpoints ?? [
    {
      ...(config.base_url !== undefined ? { base_url: config.base_url } : {}),
      ...(config.api_key !== undefined ? { api_key: config.api_key } : {}),
      ...(config.headers !== undefined ? { headers: config.headers } : {}),
      ...(config.azure !== undefined ? { azure: config.azure } : {}),
      ...(config.rpm !== undefined ? { rpm: config.rpm } : {}),
      ...(config.tpm !== undefined ? { tpm: config.tpm } : {}),
    },
  ];
  const parameter = config.max_tokens_parameter ?? 'auto';
  const resolved = primaries.map((endpoint) => resolveOne(endpoint, config.model, parameter, false));
  const first = primaries[0] as EndpointConfig;
  if (config.fallback_model !== undefined) {
    const fallback: EndpointConfig =
      typeof config.fallback_model === 'string' ? { model: config.fallback_model } : config.fallback_model;
    const inherited: EndpointConfig =
      fallback.base_url !== undefined
        ? fallback
        : {
            ...first,
            name: undefined,
            weight: undefined,
            ...Object.fromEntries(Object.entries(fallback).filter(([, value]) => value !== undefined)),
          };
    resolved.push(resolveOne(inherited, config.model, parameter, true));
  }
  // Names label metrics and logs; repeated hosts get a numeric suffix.
  const seen = new Map<string, number>();
  for (const endpoint of resolved) {
    const count = (seen.get(endpoint.name) ?? 0) + 1;
    seen.set(endpoint.name, count);
    if (count > 1) endpoint.name = `${endpoint.name}-${count}`;
  }
  return resolved;
}

function resolveOne(
  endpoint: EndpointConfig,
  defaultModel: string,
  defaultParameter: ResolvedEndpoint['maxTokensParameter'],
  fallback: boolean,
): ResolvedEndpoint {
  const model = endpoint.model ?? defaultModel;
  const host = endpoint.base_url ? new URL(endpoint.base_url).host : 'api.openai.com';
  const generated = endpoint.azure ? `${host}/${endpoint.azure.deployment}` : fallback ? `${host}/${model}` : host;
  return {
    name: endpoint.name ?? generated,
    baseUrl: endpoint.base_url,
    apiKey: endpoint.api_key,
    headers: endpoint.headers ?? {},
    azure: endpoint.azure,
    model,
    rpm: endpoint.rpm,
    tpm: endpoint.tpm,
    weight: endpoint.weight ?? endpoint.tpm ?? endpoint.rpm ?? 1,
    fallback,
    maxTokensParameter: endpoint.max_tokens_parameter ?? defaultParameter,
  };
}
