import { createLogRecord, createSpan, getAttribute } from '@semtel/pdata';
import { describe, expect, it } from 'vitest';
import { isGenAiContentLogRecord, stripSpanContent, strippedLogRecord } from './strip-content.js';

describe('stripSpanContent', () => {
  it('removes content attributes and content events in every convention, keeping the rest', () => {
    const span = createSpan({
      traceId: 'ab'.repeat(16),
      spanId: 'cd'.repeat(8),
      name: 'chat',
      attributes: [
        { key: 'gen_ai.operation.name', value: 'chat' },
        { key: 'gen_ai.input.messages', value: '[]' },
        { key: 'gen_ai.prompt.0.content', value: 'hello' },
        { key: 'llm.input_messages.0.message.content', value: 'hi' },
        { key: 'input.value', value: 'x' },
        { key: 'ai.prompt.messages', value: '[]' },
        { key: 'langfuse.observation.output', value: 'y' },
        { key: 'gen_ai.usage.input_tokens', value: 12n },
        { key: 'semtel.domain', value: 'technology_and_computing' },
      ],
      events: [
        { name: 'gen_ai.user.message', timeUnixNano: 1n, attributes: [], droppedAttributesCount: 0 },
        { name: 'gen_ai.evaluation.result', timeUnixNano: 2n, attributes: [], droppedAttributesCount: 0 },
      ],
    });
    expect(stripSpanContent(span)).toBe(7);
    expect(span.attributes.map((attribute) => attribute.key)).toEqual([
      'gen_ai.operation.name',
      'gen_ai.usage.input_tokens',
      'semtel.domain',
    ]);
    expect(span.events.map((event) => event.name)).toEqual(['gen_ai.evaluation.result']);
  });
});

describe('strippedLogRecord', () => {
  it('drops the body of a content event and leaves the original intact', () => {
    const record = createLogRecord({
      eventName: 'gen_ai.user.message',
      body: { kvlist: [{ key: 'content', value: 'secret question' }] },
      attributes: [{ key: 'gen_ai.system', value: 'openai' }],
    });
    expect(isGenAiContentLogRecord(record)).toBe(true);
    const stripped = strippedLogRecord(record);
    expect(stripped.body).toBeUndefined();
    expect(getAttribute(stripped.attributes, 'gen_ai.system')).toBe('openai');
    expect(record.body).toBeDefined();
    expect(isGenAiContentLogRecord(createLogRecord({ eventName: 'app.log' }))).toBe(false);
  });
});
