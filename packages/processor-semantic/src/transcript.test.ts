import { countTokens } from '@semtel/classifier';
import type { Interaction } from '@semtel/genai';
import { describe, expect, it } from 'vitest';
import { clipText, renderTranscript } from './transcript.js';

function interaction(turns: number, wordsPerTurn: number): Interaction {
  const messages = [];
  for (let turn = 0; turn < turns; turn += 1) {
    messages.push({
      role: turn % 2 === 0 ? 'user' : 'assistant',
      text: `turn ${turn} ` + 'lorem ipsum '.repeat(wordsPerTurn),
    });
  }
  return {
    convention: 'otel_latest',
    systemInstructions: ['You are a helpful assistant.'],
    messages,
    output: [{ role: 'assistant', text: 'final answer ' + 'dolor '.repeat(wordsPerTurn) }],
  };
}

describe('renderTranscript', () => {
  it('keeps a short interaction whole, in order', () => {
    const transcript = renderTranscript(interaction(3, 5), 1500);
    expect(transcript.truncated).toBe(false);
    expect(transcript.text.split('\n').map((line) => line.split(':')[0])).toEqual([
      'system',
      'user',
      'assistant',
      'user',
      'assistant',
    ]);
    expect(transcript.tokens).toBeGreaterThanOrEqual(countTokens(transcript.text));
  });

  it('keeps the first user turn, the latest turns and the output within the budget', () => {
    const long = interaction(40, 60);
    const transcript = renderTranscript(long, 800);
    expect(transcript.truncated).toBe(true);
    expect(countTokens(transcript.text)).toBeLessThanOrEqual(800);
    expect(transcript.text).toContain('turn 0 ');
    expect(transcript.text).toContain('turn 39 ');
    expect(transcript.text).toContain('final answer');
    expect(transcript.text).toMatch(/earlier turns elided/);
    expect(transcript.text).not.toContain('turn 5 ');
  });

  it('clips one huge message head and tail with a marker', () => {
    const text = 'START ' + 'word '.repeat(5000) + ' END';
    const clipped = clipText(text, 200);
    expect(clipped.tokens).toBeLessThanOrEqual(200);
    expect(clipped.text.startsWith('START')).toBe(true);
    expect(clipped.text.endsWith('END')).toBe(true);
    expect(clipped.text).toMatch(/tokens elided/);
  });

  it('stays within budget for a single enormous user turn', () => {
    const huge: Interaction = {
      convention: 'otel_latest',
      systemInstructions: [],
      messages: [{ role: 'user', text: 'Please summarise: ' + 'data '.repeat(20_000) }],
      output: [{ role: 'assistant', text: 'Summary.' }],
    };
    const transcript = renderTranscript(huge, 500);
    expect(countTokens(transcript.text)).toBeLessThanOrEqual(500);
    expect(transcript.text).toContain('Summary.');
    expect(transcript.text).toContain('Please summarise');
  });
});
