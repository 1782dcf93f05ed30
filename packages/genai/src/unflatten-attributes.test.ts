import { fromPlain } from '@semtel/pdata';
import { describe, expect, it } from 'vitest';
import { unflattenAttributes } from './unflatten-attributes.js';

function attributes(values: Record<string, unknown>) {
  return Object.entries(values).map(([key, value]) => ({ key, value: fromPlain(value) }));
}

describe('unflattenAttributes', () => {
  it('rebuilds indexed lists in index order, closing gaps', () => {
    expect(
      unflattenAttributes(
        attributes({
          'llm.input_messages.2.message.role': 'user',
          'llm.input_messages.0.message.role': 'system',
          'llm.input_messages.0.message.contents.1.message_content.text': 'b',
          'llm.input_messages.0.message.contents.0.message_content.text': 'a',
          'llm.input_messages_other.0': 'not this prefix',
          'llm.input_messages': 'nor the bare key',
        }),
        'llm.input_messages',
      ),
    ).toEqual([
      {
        message: { role: 'system', contents: [{ message_content: { text: 'a' } }, { message_content: { text: 'b' } }] },
      },
      { message: { role: 'user' } },
    ]);
  });

  it('returns no list when the level is not indexed, and skips absurdly deep keys', () => {
    expect(unflattenAttributes(attributes({ 'gen_ai.prompt.name': 'template' }), 'gen_ai.prompt')).toEqual([]);
    expect(unflattenAttributes(attributes({ [`p.0${'.x'.repeat(100)}`]: 1 }), 'p')).toEqual([]);
  });
});
