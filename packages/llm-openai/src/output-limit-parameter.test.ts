import { describe, expect, it } from 'vitest';
import { chooseOutputLimitParameter, otherOutputLimitParameter } from './output-limit-parameter.js';

describe('chooseOutputLimitParameter', () => {
  it('sends max_completion_tokens to OpenAI, max_tokens to other OpenAI-compatible servers', () => {
    expect(chooseOutputLimitParameter('auto', { baseUrl: undefined, azure: undefined })).toBe('max_completion_tokens');
    expect(chooseOutputLimitParameter('auto', { baseUrl: 'https://api.openai.com/v1', azure: undefined })).toBe(
      'max_completion_tokens',
    );
    for (const baseUrl of ['http://127.0.0.1:8000/v1', 'http://127.0.0.1:11434/v1', 'http://litellm:4000'])
      expect(chooseOutputLimitParameter('auto', { baseUrl, azure: undefined })).toBe('max_tokens');
  });

  it('follows the Azure api-version: max_completion_tokens from 2024-09-01 on', () => {
    const azure = (api_version: string) =>
      chooseOutputLimitParameter('auto', { baseUrl: 'https://r.openai.azure.com', azure: { api_version } });
    expect(azure('2024-06-01')).toBe('max_tokens');
    expect(azure('2024-08-01-preview')).toBe('max_tokens');
    expect(azure('2024-09-01-preview')).toBe('max_completion_tokens');
    expect(azure('2024-10-21')).toBe('max_completion_tokens');
    expect(azure('2025-04-01-preview')).toBe('max_completion_tokens');
  });

  it('keeps an explicit choice, and names the other field', () => {
    expect(chooseOutputLimitParameter('max_tokens', { baseUrl: undefined, azure: undefined })).toBe('max_tokens');
    expect(otherOutputLimitParameter('max_tokens')).toBe('max_completion_tokens');
    expect(otherOutputLimitParameter('max_completion_tokens')).toBe('max_tokens');
  });
});
