import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSemanticProcessorConfigSchema } from './semantic-processor-config.js';

const schema = createSemanticProcessorConfigSchema(z.unknown());

describe('semantic processor config', () => {
  it('fills the defaults, with join_wait within max_hold', () => {
    const config = schema.parse({});
    expect(config.join_wait).toBeLessThanOrEqual(config.max_hold);
  });

  it('accepts a short max_hold alone: the default join_wait (5 s) yields to it', () => {
    const result = schema.safeParse({ max_hold: '2s' });
    expect(result.success).toBe(true);
    expect(result.data?.join_wait).toBe(2000);
    expect(schema.parse({}).join_wait).toBe(5000);
  });

  it('accepts join_wait equal to max_hold', () => {
    expect(schema.safeParse({ join_wait: '5s', max_hold: '5s' }).success).toBe(true);
  });

  it('rejects join_wait longer than max_hold, at join_wait, saying why', () => {
    const result = schema.safeParse({ join_wait: '10s', max_hold: '5s' });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => ({ path: issue.path, message: issue.message }))).toEqual([
      {
        path: ['join_wait'],
        message:
          'join_wait (10000 ms) must not exceed max_hold (5000 ms): a span waiting for its log events is held, and no span is held past max_hold',
      },
    ]);
  });

  it('compares against the default max_hold when only join_wait is set', () => {
    expect(schema.safeParse({ join_wait: '31s' }).success).toBe(false);
    expect(schema.safeParse({ join_wait: '31s', max_hold: '1m' }).success).toBe(true);
  });

  it('takes max_concurrency auto (the default) or a whole number', () => {
    expect(schema.parse({}).max_concurrency).toBe('auto');
    expect(schema.parse({ max_concurrency: 'auto' }).max_concurrency).toBe('auto');
    expect(schema.parse({ max_concurrency: 12 }).max_concurrency).toBe(12);
    for (const bad of [0, 1.5, 'many', 257]) expect(schema.safeParse({ max_concurrency: bad }).success).toBe(false);
  });

  it('accepts redaction pattern flags the redactor takes', () => {
    const config = schema.parse({ redaction: { patterns: [{ name: 'word', regex: '\\p{L}+', flags: 'iu' }] } });
    expect(config.redaction.patterns).toEqual([{ name: 'word', regex: '\\p{L}+', flags: 'iu' }]);
  });

  it('rejects redaction patterns the redactor would refuse, at the pattern, saying why', () => {
    const problems = (pattern: Record<string, unknown>) => {
      const result = schema.safeParse({ redaction: { patterns: [pattern] } });
      return result.error?.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
    };
    expect(problems({ name: 'code', regex: 'x', flags: 'y' })).toEqual([
      { path: 'redaction.patterns.0', message: 'invalid redaction flag "y" for "code": use i, m, s or u' },
    ]);
    expect(problems({ name: 'code', regex: 'x', flags: 'ii' })).toEqual([
      { path: 'redaction.patterns.0', message: 'redaction flag "i" given twice for "code"' },
    ]);
    // Valid without flags, not with `u`: only the redactor's check sees it.
    expect(problems({ name: 'code', regex: '\\-', flags: 'u' })?.[0]?.message).toMatch(
      /^invalid redaction pattern for "code": /,
    );
    expect(problems({ name: 'code', regex: 'x*' })).toEqual([
      { path: 'redaction.patterns.0', message: 'redaction pattern for "code" matches the empty string' },
    ]);
    // Invalid whatever the flags: reported once, at the source.
    expect(problems({ name: 'code', regex: '(' })).toEqual([
      { path: 'redaction.patterns.0.regex', message: 'not a valid regular expression' },
    ]);
  });

  it('takes sampling.adaptive.max_wait below max_hold, unset by default (half of max_hold then)', () => {
    expect(schema.parse({}).sampling.adaptive.max_wait).toBeUndefined();
    expect(schema.parse({ sampling: { adaptive: { max_wait: '10s' } } }).sampling.adaptive.max_wait).toBe(10_000);
    const result = schema.safeParse({ max_hold: '10s', sampling: { adaptive: { max_wait: '10s' } } });
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['sampling.adaptive.max_wait']);
    expect(schema.safeParse({ sampling: { adaptive: { max_wait: 0 } } }).success).toBe(false);
  });
});
