import { describe, expect, it } from 'vitest';
import { openAiClassifierConfigSchema, resolveEndpoints } from './openai-classifier-config.js';

describe('openAiClassifierConfigSchema', () => {
  it('has defaults for everything', () => {
    expect(openAiClassifierConfigSchema.parse({})).toEqual({
      model: 'gpt-4o-mini',
      timeout: 20_000,
      timeout_per_1k_tokens: 3_000,
      max_timeout: 120_000,
      max_queue_wait: 15_000,
      response_format: 'auto',
      temperature: 0,
      extra_output_tokens: 16,
      refund_unused_tokens: false,
      retry: { max_attempts: 3, initial_backoff: 500, max_backoff: 20_000, max_retry_delay: 60_000 },
      concurrency: { initial: 8, min: 1, max: 64, increase_after: 10, decrease_factor: 0.75 },
      circuit: { failure_threshold: 3, cooldown: 5_000, max_cooldown: 120_000, quota_cooldown: 3_600_000 },
    });
  });

  it('reads durations, Azure and the other options', () => {
    const config = openAiClassifierConfigSchema.parse({
      base_url: 'https://example.openai.azure.com',
      api_key: 'k-123456',
      timeout: '1m30s',
      azure: { deployment: 'gpt-4o-mini', api_version: '2024-10-21' },
      response_format: 'json_object',
      max_output_tokens: 2000,
      temperature: null,
      retry: { max_attempts: 5, initial_backoff: '250ms' },
    });
    expect(config.timeout).toBe(90_000);
    expect(config.temperature).toBeNull();
    expect(config.retry).toMatchObject({ max_attempts: 5, initial_backoff: 250, max_backoff: 20_000 });
  });

  it('reports every problem with its path, without echoing the API key', () => {
    const result = openAiClassifierConfigSchema.safeParse({
      base_url: 'ftp://nope',
      api_key: 'sk-should-not-leak',
      timeout: 'soon',
      response_format: 'xml',
      unknown_key: 1,
    });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((issue) => issue.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['base_url', 'timeout', 'response_format']));
    expect(JSON.stringify(result.error?.issues)).not.toContain('sk-should-not-leak');
  });

  it('requires base_url and api_key for Azure', () => {
    const result = openAiClassifierConfigSchema.safeParse({ azure: { deployment: 'd', api_version: '2024-10-21' } });
    expect(result.error?.issues.map((issue) => issue.path.join('.')).sort()).toEqual(['api_key', 'base_url']);
  });

  it('keeps the single-endpoint shape as one endpoint named after its host', () => {
    const endpoints = resolveEndpoints(
      openAiClassifierConfigSchema.parse({ base_url: 'http://127.0.0.1:8000/v1', rpm: 60, tpm: 90_000 }),
    );
    expect(endpoints).toEqual([
      expect.objectContaining({ name: '127.0.0.1:8000', model: 'gpt-4o-mini', rpm: 60, tpm: 90_000, weight: 90_000 }),
    ]);
    expect(resolveEndpoints(openAiClassifierConfigSchema.parse({}))[0]).toMatchObject({
      name: 'api.openai.com',
      fallback: false,
    });
  });

  it('reads several endpoints, weights, and a fallback model inheriting the first endpoint', () => {
    const config = openAiClassifierConfigSchema.parse({
      model: 'gpt-4.1-mini',
      endpoints: [
        {
          name: 'azure-east',
          base_url: 'https://east.openai.azure.com',
          api_key: 'k-east-1234',
          azure: { deployment: 'mini', api_version: '2024-10-21' },
          tpm: 200_000,
        },
        { base_url: 'https://api.openai.com/v1', api_key: 'k-openai-1234', model: 'gpt-4o-mini', weight: 3 },
      ],
      fallback_model: 'gpt-4.1-nano',
      budget: { daily: { tokens: 1_000_000, cost_usd: 5 } },
      prices: { 'my-model': { input: 1, output: 2 } },
    });
    const endpoints = resolveEndpoints(config);
    expect(endpoints.map((endpoint) => [endpoint.name, endpoint.model, endpoint.weight, endpoint.fallback])).toEqual([
      ['azure-east', 'gpt-4.1-mini', 200_000, false],
      ['api.openai.com', 'gpt-4o-mini', 3, false],
      ['east.openai.azure.com/mini', 'gpt-4.1-nano', 200_000, true],
    ]);
    expect(endpoints[2]).toMatchObject({ apiKey: 'k-east-1234', azure: { deployment: 'mini' } });
  });

  it('resolves the output-cap field: per endpoint, else the top-level default, else auto', () => {
    const single = resolveEndpoints(openAiClassifierConfigSchema.parse({ max_tokens_parameter: 'max_tokens' }));
    expect(single[0]?.maxTokensParameter).toBe('max_tokens');
    const several = resolveEndpoints(
      openAiClassifierConfigSchema.parse({
        max_tokens_parameter: 'max_completion_tokens',
        endpoints: [
          { name: 'a', base_url: 'http://127.0.0.1:8000/v1' },
          { name: 'b', base_url: 'http://127.0.0.1:11434/v1', max_tokens_parameter: 'max_tokens' },
        ],
      }),
    );
    expect(several.map((endpoint) => endpoint.maxTokensParameter)).toEqual(['max_completion_tokens', 'max_tokens']);
    expect(resolveEndpoints(openAiClassifierConfigSchema.parse({}))[0]?.maxTokensParameter).toBe('auto');
  });

  it('refuses single-endpoint keys next to endpoints, duplicate names and incomplete Azure endpoints', () => {
    const result = openAiClassifierConfigSchema.safeParse({
      api_key: 'sk-top-level-1234',
      endpoints: [
        { name: 'a', base_url: 'https://a.example' },
        { name: 'a', base_url: 'https://b.example', azure: { deployment: 'd', api_version: 'v' } },
      ],
    });
    const messages = result.error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) ?? [];
    expect(messages).toEqual(
      expect.arrayContaining([
        'api_key: with endpoints, set api_key on each endpoint instead',
        'endpoints.1.api_key: azure needs api_key',
        'endpoints: duplicate endpoint name "a"',
      ]),
    );
    expect(JSON.stringify(result.error?.issues)).not.toContain('sk-top-level-1234');
  });
});
