import { describe, expect, it } from 'vitest';
import { contentText } from './content-text.js';

describe('contentText', () => {
  it('keeps text and joins text parts of every known shape', () => {
    expect(contentText('plain')).toBe('plain');
    expect(
      contentText([
        { type: 'text', content: 'semconv' },
        { type: 'text', text: 'openai' },
        { type: 'input_text', text: 'responses in' },
        { type: 'output_text', text: 'responses out' },
        { type: 'refusal', refusal: 'no' },
        { text: 'untyped' },
        'bare',
      ]),
    ).toBe('semconv\nopenai\nresponses in\nresponses out\nno\nuntyped\nbare');
  });

  it('turns non-text parts into short placeholders', () => {
    expect(
      contentText([
        { type: 'blob', modality: 'image', mime_type: 'image/png', content: 'iVBORw0KGgo=' },
        { type: 'file', modality: 'document', file_id: 'file-1' },
        { type: 'uri', uri: 'https://example.com/a.mp3', mime_type: 'audio/mpeg' },
        { type: 'file', mediaType: 'image/jpeg', data: 'AAAA' },
        { type: 'file', file_id: 'file-2' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
        { type: 'input_audio', input_audio: { data: 'AAAA' } },
        { type: 'reasoning', content: 'long private thoughts' },
        { type: 'tool_call', id: 'c1', name: 'get_weather', arguments: { location: 'Paris' } },
        { type: 'tool-call', toolCallId: 'c2', toolName: 'search', input: {} },
        { type: 'function', function: { name: 'lookup', arguments: '{}' } },
        { type: 'server_tool_call', name: 'web_search', server_tool_call: { type: 'web_search' } },
        { type: 'server_tool_call_response', server_tool_call_response: { type: 'web_search' } },
        { type: 'brand_new_part' },
      ]),
    ).toBe(
      [
        '[image]',
        '[document]',
        '[audio]',
        '[image]',
        '[file]',
        '[image]',
        '[audio]',
        '[reasoning]',
        '[tool_call get_weather]',
        '[tool_call search]',
        '[tool_call lookup]',
        '[server_tool_call web_search]',
        '[server_tool_call_response]',
        '[brand_new_part]',
      ].join('\n'),
    );
  });

  it('keeps tool results as text, structured ones as JSON', () => {
    expect(contentText({ type: 'tool_call_response', id: 'c1', response: 'rainy' })).toBe('rainy');
    expect(contentText({ type: 'tool_call_response', id: 'c1', result: { temperature: 14 } })).toBe(
      '{"temperature":14}',
    );
    expect(contentText({ type: 'tool-result', output: { type: 'text', value: 'sunny' } })).toBe('sunny');
    expect(contentText({ type: 'tool-result', result: 'v4 result' })).toBe('v4 result');
    expect(contentText({ type: 'tool_result', content: [{ type: 'text', text: 'anthropic' }] })).toBe('anthropic');
    expect(contentText({ type: 'tool_call_response' })).toBe('[tool_call_response]');
  });

  it('is empty for nothing and bounded for absurd nesting', () => {
    expect(contentText(undefined)).toBe('');
    expect(contentText(null)).toBe('');
    let nested: unknown = 'deep';
    for (let level = 0; level < 10_000; level += 1) nested = [nested];
    expect(contentText(nested)).toBe('');
  });
});
