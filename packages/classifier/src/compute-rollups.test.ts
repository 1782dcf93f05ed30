import { describe, expect, it } from 'vitest';
import { computeRollups } from './compute-rollups.js';
import { resolveTaxonomy } from './resolve-taxonomy.js';

describe('computeRollups', () => {
  it('maps the default dimensions to their roll-ups', () => {
    expect(
      computeRollups({
        task_type: 'computer_programming',
        task_complexity: 'analyze',
        collaboration_mode: 'feedback_loop',
      }),
    ).toEqual({ task_group: 'technical_help', task_complexity_band: 'high', automation_vs_augmentation: 'automation' });
    expect(
      computeRollups({ task_type: 'write_fiction', task_complexity: 'remember', collaboration_mode: 'learning' }),
    ).toEqual({
      task_group: 'writing',
      task_complexity_band: 'low',
      automation_vs_augmentation: 'augmentation',
    });
  });

  it('gives unknown for unknown or unmapped source labels, and omits absent sources', () => {
    expect(computeRollups({ task_type: 'unknown', task_complexity: 'unclear', collaboration_mode: 'none' })).toEqual({
      task_group: 'unknown',
      task_complexity_band: 'unknown',
      automation_vs_augmentation: 'none',
    });
    expect(computeRollups({ intent: 'asking' })).toEqual({});
  });

  it("uses the taxonomy's own roll-ups when given", () => {
    const taxonomy = resolveTaxonomy({
      base: 'none',
      dimensions: [
        {
          name: 'colour',
          description: 'Colour.',
          labels: [
            { name: 'red', description: 'Red.' },
            { name: 'blue', description: 'Blue.' },
          ],
        },
      ],
      rollups: [{ name: 'warmth', source: 'colour', groups: { warm: ['red'], cold: ['blue'] } }],
    });
    expect(computeRollups({ colour: 'blue', task_type: 'translation' }, taxonomy)).toEqual({ warmth: 'cold' });
  });
});
