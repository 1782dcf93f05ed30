import { createSpan } from '@semtel/pdata';
import { describe, expect, it } from 'vitest';
import { requestsOutputSchema } from './requests-output-schema.js';

function span(key: string, value: unknown) {
  return createSpan({
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    name: 'ChatCompletion',
    attributes: [{ key, value: JSON.stringify(value) }],
  });
}

describe('requestsOutputSchema', () => {
  it('finds a Chat Completions json_schema name in the invocation parameters or the request body', () => {
    const chat = {
      model: 'm',
      response_format: { type: 'json_schema', json_schema: { name: 'labels', strict: true } },
    };
    expect(requestsOutputSchema(span('llm.invocation_parameters', chat), 'labels')).toBe(true);
    expect(requestsOutputSchema(span('input.value', { ...chat, messages: [] }), 'labels')).toBe(true);
    expect(requestsOutputSchema(span('llm.invocation_parameters', chat), 'other')).toBe(false);
  });

  it('finds a Responses text.format name', () => {
    const responses = { model: 'm', text: { format: { type: 'json_schema', name: 'labels', schema: {} } } };
    expect(requestsOutputSchema(span('llm.invocation_parameters', responses), 'labels')).toBe(true);
  });

  it('is false when the name only appears as text', () => {
    expect(requestsOutputSchema(span('input.value', { messages: [{ content: 'labels' }] }), 'labels')).toBe(false);
    const plain = createSpan({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      name: 'chat',
      attributes: [{ key: 'input.value', value: 'please use labels' }],
    });
    expect(requestsOutputSchema(plain, 'labels')).toBe(false);
  });
});
