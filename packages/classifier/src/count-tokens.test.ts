import { describe, expect, it } from 'vitest';
import { countTokens, maxCharactersPerToken, sliceTokens, truncateToTokens } from './count-tokens.js';

describe('countTokens', () => {
  it('counts o200k_base tokens and treats special-token text as plain text', () => {
    expect(countTokens('hello world')).toBe(2);
    expect(countTokens('')).toBe(0);
    expect(countTokens('a <|endoftext|> b')).toBeGreaterThan(3);
  });
});

describe('truncateToTokens', () => {
  const text = Array.from({ length: 400 }, (_, index) => `word${index}`).join(' ');

  it('leaves short text alone', () => {
    expect(truncateToTokens('short text', 10)).toBe('short text');
  });

  it('keeps the head within the limit', () => {
    const head = truncateToTokens(text, 50);
    expect(countTokens(head)).toBeLessThanOrEqual(50);
    expect(text.startsWith(head)).toBe(true);
  });

  it('keeps head and tail around an elision mark within the limit', () => {
    const both = truncateToTokens(text, 60, { keep: 'head_and_tail' });
    expect(countTokens(both)).toBeLessThanOrEqual(60);
    expect(both.startsWith('word0 ')).toBe(true);
    expect(both.endsWith('word399')).toBe(true);
    expect(both).toContain('[…]');
  });

  it('does not split a multi-byte character', () => {
    const emoji = '🙂'.repeat(100);
    expect(truncateToTokens(emoji, 7)).not.toContain('\uFFFD');
  });
});

describe('sliceTokens', () => {
  const text = Array.from({ length: 5000 }, (_, index) => `word${index}`).join(' ');

  it('returns exactly the first or last tokens', () => {
    const head = sliceTokens(text, 40, 'start');
    const tail = sliceTokens(text, 40, 'end');
    expect(countTokens(head)).toBe(40);
    expect(countTokens(tail)).toBeLessThanOrEqual(40);
    expect(countTokens(tail)).toBeGreaterThanOrEqual(39);
    expect(text.startsWith(head)).toBe(true);
    expect(text.endsWith(tail)).toBe(true);
    expect(sliceTokens('short', 40, 'start')).toBe('short');
    expect(sliceTokens(text, 0, 'end')).toBe('');
  });

  it('finds whole tokens even where they are as long as a token can be', () => {
    const spaces = `${' '.repeat(maxCharactersPerToken * 50)}x`;
    expect(countTokens(sliceTokens(spaces, 10, 'start'))).toBe(10);
    expect(sliceTokens(spaces, 10, 'start').length).toBeGreaterThan(10 * 8);
  });
});
