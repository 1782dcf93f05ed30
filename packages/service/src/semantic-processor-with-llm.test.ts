import { describe, expect, it } from 'vitest';
import { llmConfigFromEnvironment } from './semantic-processor-with-llm.js';

describe('llmConfigFromEnvironment', () => {
  it('is undefined without OPENAI_API_KEY or OPENAI_BASE_URL, so the lexical classifier runs', () => {
    expect(llmConfigFromEnvironment({})).toBeUndefined();
    expect(llmConfigFromEnvironment({ OPENAI_API_KEY: '  ' })).toBeUndefined();
  });

  it('takes the key, the base URL and the model from the environment', () => {
    expect(
      llmConfigFromEnvironment({
        OPENAI_API_KEY: 'sk-test',
        OPENAI_BASE_URL: 'http://127.0.0.1:8000/v1',
        SEMTEL_LLM_MODEL: 'llama3',
      }),
    ).toEqual({ api_key: 'sk-test', base_url: 'http://127.0.0.1:8000/v1', model: 'llama3' });
    expect(llmConfigFromEnvironment({ OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1' })).toEqual({
      base_url: 'http://127.0.0.1:11434/v1',
    });
  });
});
