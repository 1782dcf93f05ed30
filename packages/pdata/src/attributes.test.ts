import { describe, expect, it } from 'vitest';
import type { KeyValue } from './any-value.js';
import { isKeyValueList, kvlist } from './any-value.js';
import {
  fromPlain,
  getAttribute,
  getNumberAttribute,
  getStringAttribute,
  hasAttribute,
  removeAttribute,
  setAttribute,
  toPlain,
} from './attributes.js';

function sample(): KeyValue[] {
  return [
    { key: 'gen_ai.request.model', value: 'gpt-4o' },
    { key: 'gen_ai.usage.input_tokens', value: 12n },
    { key: 'temperature', value: 0.5 },
    { key: 'stream', value: false },
    { key: 'numeric.text', value: ' 42 ' },
    { key: 'blank.text', value: '  ' },
    { key: 'empty', value: undefined },
  ];
}

describe('attribute getters', () => {
  it('find values by key and tell a missing key from an empty value', () => {
    const attributes = sample();
    expect(getAttribute(attributes, 'gen_ai.request.model')).toBe('gpt-4o');
    expect(getAttribute(attributes, 'missing')).toBeUndefined();
    expect(hasAttribute(attributes, 'empty')).toBe(true);
    expect(hasAttribute(attributes, 'missing')).toBe(false);
  });

  it('return strings only for string values, without coercing', () => {
    const attributes = sample();
    expect(getStringAttribute(attributes, 'gen_ai.request.model')).toBe('gpt-4o');
    expect(getStringAttribute(attributes, 'gen_ai.usage.input_tokens')).toBeUndefined();
    expect(getStringAttribute(attributes, 'stream')).toBeUndefined();
  });

  it('read ints, doubles and numeric strings as numbers, and nothing else', () => {
    const attributes = sample();
    expect(getNumberAttribute(attributes, 'gen_ai.usage.input_tokens')).toBe(12);
    expect(getNumberAttribute(attributes, 'temperature')).toBe(0.5);
    expect(getNumberAttribute(attributes, 'numeric.text')).toBe(42);
    expect(getNumberAttribute(attributes, 'blank.text')).toBeUndefined();
    expect(getNumberAttribute(attributes, 'stream')).toBeUndefined();
    expect(getNumberAttribute(attributes, 'gen_ai.request.model')).toBeUndefined();
    expect(getNumberAttribute(attributes, 'missing')).toBeUndefined();
  });

  it('return the first value when a sender repeated a key', () => {
    const attributes: KeyValue[] = [
      { key: 'k', value: 'first' },
      { key: 'k', value: 'second' },
    ];
    expect(getAttribute(attributes, 'k')).toBe('first');
  });
});

describe('setAttribute and removeAttribute', () => {
  it('replace an existing key in place, keeping its position, so keys stay unique', () => {
    const attributes = sample();
    setAttribute(attributes, 'temperature', 0.9);
    expect(attributes).toHaveLength(7);
    expect(attributes[2]).toEqual({ key: 'temperature', value: 0.9 });
  });

  it('append a new key at the end', () => {
    const attributes = sample();
    setAttribute(attributes, 'semtel.domain', 'health_and_wellness');
    expect(attributes.at(-1)).toEqual({ key: 'semtel.domain', value: 'health_and_wellness' });
    setAttribute(attributes, 'semtel.labels', ['a', 'b']);
    expect(getAttribute(attributes, 'semtel.labels')).toEqual(['a', 'b']);
  });

  it('remove a key and say whether it was there', () => {
    const attributes = sample();
    expect(removeAttribute(attributes, 'stream')).toBe(true);
    expect(hasAttribute(attributes, 'stream')).toBe(false);
    expect(attributes).toHaveLength(6);
    expect(removeAttribute(attributes, 'stream')).toBe(false);
    expect(attributes).toHaveLength(6);
  });
});

describe('kvlist values', () => {
  it('are told apart from arrays, bytes and scalars', () => {
    expect(isKeyValueList(kvlist([]))).toBe(true);
    expect(isKeyValueList([])).toBe(false);
    expect(isKeyValueList(new Uint8Array([1]))).toBe(false);
    expect(isKeyValueList(undefined)).toBe(false);
    expect(isKeyValueList('text')).toBe(false);
    expect(isKeyValueList(1n)).toBe(false);
  });
});

describe('toPlain and fromPlain', () => {
  it('turn kvlists into objects and back, keeping bigint ints and double numbers apart', () => {
    const value = kvlist([
      { key: 'name', value: 'checkout' },
      { key: 'count', value: 3n },
      { key: 'ratio', value: 0.25 },
      { key: 'tags', value: ['a', kvlist([{ key: 'deep', value: true }])] },
    ]);
    expect(toPlain(value)).toEqual({ name: 'checkout', count: 3n, ratio: 0.25, tags: ['a', { deep: true }] });
    expect(fromPlain(toPlain(value))).toEqual(value);
  });

  it('make whole numbers ints, keep bytes, and drop null to the empty value', () => {
    const bytes = new Uint8Array([0, 255]);
    expect(fromPlain(3)).toBe(3n);
    expect(fromPlain(2.5)).toBe(2.5);
    expect(fromPlain(bytes)).toBe(bytes);
    expect(fromPlain(null)).toBeUndefined();
    expect(fromPlain({ nothing: null })).toEqual(kvlist([{ key: 'nothing', value: undefined }]));
    expect(fromPlain(Symbol.for('s'))).toBe('Symbol(s)');
  });
});
