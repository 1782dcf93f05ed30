import { describe, expect, it } from 'vitest';
import { formatComponentId, parseComponentId } from './factory.js';

describe('component ids', () => {
  it('parse `type` and `type/name`, splitting at the first slash only', () => {
    expect(parseComponentId('otlp')).toEqual({ type: 'otlp', name: '' });
    expect(parseComponentId('otlp_http/honeycomb')).toEqual({ type: 'otlp_http', name: 'honeycomb' });
    expect(parseComponentId('file/a/b')).toEqual({ type: 'file', name: 'a/b' });
    expect(parseComponentId('debug/')).toEqual({ type: 'debug', name: '' });
  });

  it('format back to what the config said', () => {
    for (const text of ['otlp', 'otlp_http/honeycomb', 'file/a/b']) {
      expect(formatComponentId(parseComponentId(text))).toBe(text);
    }
  });
});
