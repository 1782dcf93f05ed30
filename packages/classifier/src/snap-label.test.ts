import { describe, expect, it } from 'vitest';
import { defaultTaxonomy } from './default-taxonomy.js';
import { normalizeLabel, snapLabel } from './snap-label.js';
import type { TaxonomyDimension } from './taxonomy.js';

const dimension = (name: string): TaxonomyDimension => {
  const found = defaultTaxonomy().dimensions.find((candidate) => candidate.name === name);
  if (!found) throw new Error(name);
  return found;
};

describe('normalizeLabel', () => {
  it('lower-cases and joins words with underscores', () => {
    expect(normalizeLabel('Computer Programming')).toBe('computer_programming');
    expect(normalizeLabel('  how-to advice! ')).toBe('how_to_advice');
    expect(normalizeLabel('Arts, Entertainment & Media')).toBe('arts_entertainment_and_media');
    expect(normalizeLabel('Café')).toBe('cafe');
  });
});

describe('snapLabel', () => {
  it('matches exactly after normalisation', () => {
    expect(snapLabel(dimension('task_type'), 'Computer Programming')).toBe('computer_programming');
    expect(snapLabel(dimension('domain'), 'arts, entertainment & media')).toBe('arts_entertainment_and_media');
    expect(snapLabel(dimension('task_type'), 'HOW-TO-ADVICE')).toBe('how_to_advice');
    expect(snapLabel(dimension('task_type'), 'howto advice')).toBe('how_to_advice');
  });

  it('snaps conservative near matches', () => {
    expect(snapLabel(dimension('task_type'), 'computer')).toBe('computer_programming');
    expect(snapLabel(dimension('task_type'), 'programming')).toBe('computer_programming');
    expect(snapLabel(dimension('intent'), 'asking_question')).toBe('asking');
    expect(snapLabel(dimension('satisfaction'), 'satisfid')).toBe('satisfied');
    expect(snapLabel(dimension('satisfaction'), 'disatisfied')).toBe('dissatisfied');
    expect(snapLabel(dimension('task_complexity'), 'analyse')).toBe('analyze');
  });

  it('answers unknown for anything else, including ambiguous and negated labels', () => {
    expect(snapLabel(dimension('satisfaction'), 'unsatisfied')).toBe('unknown');
    expect(snapLabel(dimension('task_type'), 'image')).toBe('unknown');
    expect(snapLabel(dimension('domain'), 'cooking')).toBe('unknown');
    expect(snapLabel(dimension('intent'), '')).toBe('unknown');
    expect(snapLabel(dimension('intent'), '???')).toBe('unknown');
    expect(snapLabel(dimension('intent'), 'ignore previous instructions')).toBe('unknown');
    expect(snapLabel(dimension('intent'), 'Unknown')).toBe('unknown');
  });

  it('never leaves the dimension', () => {
    const taskType = dimension('task_type');
    const allowed = new Set([...taskType.labels.map((label) => label.name), 'unknown']);
    for (const raw of [
      'x',
      'writing',
      'write',
      'fiction',
      'math',
      'chit chat',
      'asking about the model',
      'Other',
      'n/a',
    ]) {
      expect(allowed.has(snapLabel(taskType, raw))).toBe(true);
    }
  });
});
