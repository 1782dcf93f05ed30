import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSemanticProcessorConfigSchema } from './semantic-processor-config.js';

const schema = createSemanticProcessorConfigSchema(z.unknown());

describe('semantic processor config', () => {
  it('fills the defaults, with join_wait within max_hold', () => {
    const config = schema.parse({});
    expect(config.join_wait).toBeLessThanOrEqual(config.max_hold);
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
});
