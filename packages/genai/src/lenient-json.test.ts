import { describe, expect, it } from 'vitest';
import { parseLenientJson } from './lenient-json.js';

describe('parseLenientJson', () => {
  it('parses JSON', () => {
    expect(parseLenientJson(' [{"role":"user","content":"Hi"}] ')).toEqual([{ role: 'user', content: 'Hi' }]);
    expect(parseLenientJson('"text"')).toBe('text');
  });

  it('parses Python reprs: quotes, None/True/False, tuples, escapes, prefixes and trailing commas', () => {
    expect(
      parseLenientJson(
        `[{'role': 'user', 'content': "It's \\u00e9t\\xe9\\n", 'flag': True, 'none': None}, ('a', 1.5e2,), u'x', {'off': False,},]`,
      ),
    ).toEqual([{ role: 'user', content: "It's été\n", flag: true, none: null }, ['a', 150], 'x', { off: false }]);
  });

  it('returns undefined for what is neither', () => {
    expect(parseLenientJson('')).toBeUndefined();
    expect(parseLenientJson('plain words')).toBeUndefined();
    expect(parseLenientJson("[{'role': 'user', 'content': 'unterminated")).toBeUndefined();
    expect(parseLenientJson("{'a' 1}")).toBeUndefined();
    expect(parseLenientJson('[1, 2] trailing')).toBeUndefined();
    expect(parseLenientJson("['bad \\xZZ escape']")).toBeUndefined();
    expect(parseLenientJson("['\\U0011ffff']")).toBeUndefined();
  });

  it('gives up on absurd nesting instead of overflowing the stack', () => {
    expect(parseLenientJson(`${'('.repeat(5000)}1${')'.repeat(5000)}`)).toBeUndefined();
  });
});
