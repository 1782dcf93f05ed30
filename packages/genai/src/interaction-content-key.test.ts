import { describe, expect, it } from 'vitest';
import type { Interaction } from './interaction.js';
import { interactionContentKey } from './interaction-content-key.js';

const base: Interaction = {
  convention: 'otel_latest',
  systemInstructions: ['Be brief.'],
  messages: [{ role: 'user', text: 'Plan a day in Lyon.' }],
  output: [{ role: 'assistant', text: 'Morning: Vieux Lyon.' }],
};

describe('interactionContentKey', () => {
  // The pinned value is sha256 of the canonical JSON [[instructions],[[role,text]],[[role,text]]], computed independently.
  it('is a pinned 128-bit hex hash, so keys stay stable across releases and processes', () => {
    expect(interactionContentKey(base)).toBe('62ddba4ba6ee9daa7cee90c44712208e');
  });

  it('ignores metadata, convention, surrounding whitespace and role case', () => {
    expect(
      interactionContentKey({
        ...base,
        convention: 'vercel_ai',
        systemInstructions: ['  Be brief.\n'],
        messages: [{ role: 'User', text: 'Plan a day in Lyon. ' }],
        model: 'gpt-4o',
        provider: 'openai',
        responseId: 'resp_1',
        conversationId: 'c',
        usage: { inputTokens: 3 },
      }),
    ).toBe(interactionContentKey(base));
  });

  it('changes with any content: instructions, messages, their order and role, and the output', () => {
    const keys = [
      base,
      { ...base, systemInstructions: [] },
      { ...base, messages: [{ role: 'user', text: 'Plan a day in Lille.' }] },
      { ...base, messages: [{ role: 'assistant', text: 'Plan a day in Lyon.' }] },
      { ...base, output: [{ role: 'assistant', text: 'Morning: Fourvière.' }] },
      { ...base, output: [] },
      {
        ...base,
        messages: [
          { role: 'user', text: 'a' },
          { role: 'user', text: 'b' },
        ],
      },
      {
        ...base,
        messages: [
          { role: 'user', text: 'b' },
          { role: 'user', text: 'a' },
        ],
      },
      // Moving text between fields must not collide.
      { ...base, systemInstructions: [], messages: [{ role: 'user', text: 'Be brief.' }, ...base.messages] },
    ].map(interactionContentKey);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
