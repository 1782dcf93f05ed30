import { countTokens, maxCharactersPerToken } from '@semtel/classifier';
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

  it('gives a single long prompt the whole budget the other parts leave', () => {
    // 1.5k distinct words, about 5000 tokens: far more than item.max_tokens.
    const prompt = Array.from({ length: 1500 }, (_, index) => `w${index}x`).join(' ');
    const single: Interaction = {
      convention: 'otel_latest',
      systemInstructions: [],
      messages: [{ role: 'user', text: prompt }],
      output: [{ role: 'assistant', text: 'Sure.' }],
    };
    const transcript = renderTranscript(single, 1500);
    expect(transcript.truncated).toBe(true);
    expect(transcript.tokens).toBe(countTokens(transcript.text));
    expect(transcript.tokens).toBeLessThanOrEqual(1500);
    expect(transcript.tokens).toBeGreaterThanOrEqual(1450);
    expect(transcript.text.startsWith('user: w0x w1x')).toBe(true);
    expect(transcript.text).toMatch(/w1499x\nassistant: Sure\.$/);
    expect(transcript.text).toMatch(/\[… \d+ tokens elided …\]/);
  });

  it('gives a long answer the room a short question and short instructions leave', () => {
    const answer = Array.from({ length: 1500 }, (_, index) => `a${index}z`).join(' ');
    const transcript = renderTranscript(
      {
        convention: 'otel_latest',
        systemInstructions: ['You write long essays.'],
        messages: [{ role: 'user', text: 'Write an essay about rivers.' }],
        output: [{ role: 'assistant', text: answer }],
      },
      1500,
    );
    expect(transcript.tokens).toBeLessThanOrEqual(1500);
    expect(transcript.tokens).toBeGreaterThanOrEqual(1450);
    expect(transcript.text).toMatch(
      /^system: You write long essays\.\nuser: Write an essay about rivers\.\nassistant: a0z /,
    );
    expect(transcript.text.endsWith('a1499z')).toBe(true);
  });

  it('fills the budget when every part is long, keeping each part and the elision marker', () => {
    const words = (tag: string, count: number) =>
      Array.from({ length: count }, (_, index) => `${tag}${index}`).join(' ');
    const heavy: Interaction = {
      convention: 'otel_latest',
      systemInstructions: [words('sys', 1500)],
      messages: Array.from({ length: 30 }, (_, turn) => ({
        role: turn % 2 === 0 ? 'user' : 'assistant',
        text: `turn${turn} ${words(`t${turn}w`, 150)}`,
      })),
      output: [{ role: 'assistant', text: words('out', 1500) }],
    };
    const transcript = renderTranscript(heavy, 1500);
    expect(transcript.tokens).toBeLessThanOrEqual(1500);
    expect(transcript.tokens).toBeGreaterThanOrEqual(1425);
    const text = transcript.text;
    expect(text.startsWith('system: sys0 ')).toBe(true);
    expect(text).toContain('user: turn0 ');
    expect(text).toContain('assistant: turn29 ');
    expect(text).toMatch(/\[… \d+ earlier turns elided …\]/);
    expect(text).toMatch(/assistant: out0 [\s\S]*out1499$/);
  });

  it('lets the latest turns use the room short instructions and a short answer leave', () => {
    const chatty: Interaction = {
      convention: 'otel_latest',
      systemInstructions: ['Be brief.'],
      messages: Array.from({ length: 60 }, (_, turn) => ({
        role: turn % 2 === 0 ? 'user' : 'assistant',
        text: `turn${turn} ` + 'lorem ipsum dolor sit amet '.repeat(8),
      })),
      output: [{ role: 'assistant', text: 'Done.' }],
    };
    const transcript = renderTranscript(chatty, 1500);
    expect(transcript.tokens).toBeLessThanOrEqual(1500);
    // The fixed 35% share for the latest turns held 525 tokens; now they get nearly all of it.
    expect(transcript.tokens).toBeGreaterThanOrEqual(1400);
    expect(transcript.text).toContain('assistant: Done.');
  });

  it('bounds the work on a huge message by item.max_tokens: no more of it is redacted or counted', () => {
    const huge = 'BEGIN ' + 'several plain words here and there '.repeat(50_000) + ' END';
    const seen: number[] = [];
    const redact = (text: string): string => {
      seen.push(text.length);
      return text.replaceAll(/\S+@\S+/g, '[EMAIL]');
    };
    const transcript = renderTranscript(
      {
        convention: 'otel_latest',
        systemInstructions: [],
        messages: [{ role: 'user', text: `${huge} mail jane@example.com` }],
        output: [{ role: 'assistant', text: 'Noted.' }],
      },
      1500,
      { redact },
    );
    expect(huge.length).toBeGreaterThan(1_500_000);
    expect(Math.max(...seen)).toBeLessThanOrEqual(1500 * maxCharactersPerToken + 256);
    expect(seen.reduce((sum, length) => sum + length, 0)).toBeLessThan(huge.length / 10);
    expect(transcript.tokens).toBeLessThanOrEqual(1500);
    expect(transcript.tokens).toBeGreaterThanOrEqual(1450);
    expect(transcript.text.startsWith('user: BEGIN several')).toBe(true);
    expect(transcript.text).toContain('mail [EMAIL]');
    expect(transcript.text).not.toContain('jane@');
    // The marker counts the middle cut by characters too: about 300k tokens, not the few thousand counted.
    const elided = Number(/\[… (\d+) tokens elided …\]/.exec(transcript.text)?.[1]);
    expect(elided).toBeGreaterThan(250_000);
  });
});
