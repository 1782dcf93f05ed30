import { describe, expect, it } from 'vitest';
import { openAiClassifierConfigSchema } from './openai-classifier-config.js';

describe('openAiClassifierConfigSchema', () => {
  it('has defaults for everything', () => {
    expect(openAiClassifierConfigSchema.parse({})).toEqual({
      model: 'gpt-4o-mini',
      headers: {},
      timeout: 60_000,
      response_format: 'auto',
      temperature: 0,
      retry: { max_attempts: 3, initial_backoff: 500, max_backoff: 20_000, max_retry_delay: 60_000 },
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
});
