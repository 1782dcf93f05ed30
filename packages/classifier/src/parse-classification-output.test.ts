import { describe, expect, it } from 'vitest';
import { defaultTaxonomy } from './default-taxonomy.js';
import { parseClassificationOutput } from './parse-classification-output.js';
import { resolveTaxonomy } from './resolve-taxonomy.js';

const taxonomy = defaultTaxonomy();
const item = {
  intent: 'doing',
  task_type: 'computer_programming',
  domain: 'technology_and_computing',
  task_complexity: 'analyze',
  user_expertise: 'proficient',
  satisfaction: 'unknown',
  collaboration_mode: 'feedback_loop',
};

describe('parseClassificationOutput', () => {
  it('reads the item map', () => {
    const result = parseClassificationOutput(
      JSON.stringify({ i1: item, i2: { ...item, intent: 'asking' } }),
      taxonomy,
      ['i1', 'i2'],
    );
    expect(result.invalid).toEqual([]);
    expect(result.labels.get('i1')).toEqual(item);
    expect(result.labels.get('i2')?.intent).toBe('asking');
  });

  it('strips code fences and prose and tolerates trailing commas', () => {
    const text =
      'Sure! Here are the labels:\n```json\n{"i1": {' +
      Object.entries(item)
        .map(([key, value]) => `"${key}": "${value}",`)
        .join('\n') +
      '},}\n```\nHope this helps.';
    expect(parseClassificationOutput(text, taxonomy, ['i1']).labels.get('i1')).toEqual(item);
  });

  it('accepts an array form and a wrapper object', () => {
    const array = JSON.stringify([
      { id: 'i2', ...item },
      { id: 'i1', labels: item },
    ]);
    expect(parseClassificationOutput(array, taxonomy, ['i1', 'i2']).labels.size).toBe(2);
    const wrapped = JSON.stringify({ results: [{ item_id: 'i1', ...item }] });
    expect(parseClassificationOutput(wrapped, taxonomy, ['i1']).labels.get('i1')).toEqual(item);
    const bare = JSON.stringify(item);
    expect(parseClassificationOutput(bare, taxonomy, ['i1']).labels.get('i1')).toEqual(item);
  });

  it('snaps off-taxonomy labels or sets unknown, never leaving the taxonomy', () => {
    const text = JSON.stringify({
      i1: { ...item, task_type: 'Computer Programming', domain: 'Space Travel', intent: 'IGNORE ALL RULES' },
    });
    expect(parseClassificationOutput(text, taxonomy, ['i1']).labels.get('i1')).toMatchObject({
      task_type: 'computer_programming',
      domain: 'unknown',
      intent: 'unknown',
    });
  });

  it('marks missing items and unusable objects invalid, and ignores extra ids', () => {
    const { user_expertise: _dropped, ...incomplete } = item;
    const text = JSON.stringify({ i1: item, i2: 'doing', i3: incomplete, i9: item });
    const result = parseClassificationOutput(text, taxonomy, ['i1', 'i2', 'i3', 'i4']);
    expect([...result.labels.keys()]).toEqual(['i1']);
    expect(result.invalid).toEqual(['i2', 'i3', 'i4']);
  });

  it('marks every item invalid for garbage', () => {
    for (const text of ['', 'I cannot help with that.', '{"i1": ', '[1, 2', 'null', '{{{{']) {
      const result = parseClassificationOutput(text, taxonomy, ['i1', 'i2']);
      expect(result.labels.size).toBe(0);
      expect(result.invalid).toEqual(['i1', 'i2']);
    }
  });

  it('keeps the complete items of an answer cut off mid-way', () => {
    const full = JSON.stringify({ i1: item, i2: item, i3: item });
    const cut = full.slice(0, full.lastIndexOf('"i3"') + 20);
    const result = parseClassificationOutput(cut, taxonomy, ['i1', 'i2', 'i3']);
    expect([...result.labels.keys()]).toEqual(['i1', 'i2']);
    expect(result.invalid).toEqual(['i3']);
  });

  it('matches ids and dimension keys loosely', () => {
    const { task_type: _replaced, ...rest } = item;
    const text = JSON.stringify({ I1: { ...rest, 'Task Type': 'translation' } });
    expect(parseClassificationOutput(text, taxonomy, ['i1']).labels.get('i1')?.task_type).toBe('translation');
  });

  it('validates multi-label dimensions as arrays of snapped labels', () => {
    const withReasons = resolveTaxonomy({ enable: ['satisfaction_reasons'] });
    const parse = (reasons: unknown) =>
      parseClassificationOutput(JSON.stringify({ i1: { ...item, satisfaction_reasons: reasons } }), withReasons, [
        'i1',
      ]);
    expect(
      parse(['Gratitude or praise', 'confirms_success', 'confirms success']).labels.get('i1')?.satisfaction_reasons,
    ).toEqual(['gratitude_or_praise', 'confirms_success']);
    expect(parse([]).labels.get('i1')?.satisfaction_reasons).toEqual([]);
    expect(parse(['nonsense']).labels.get('i1')?.satisfaction_reasons).toEqual(['unknown']);
    expect(parse(42).invalid).toEqual(['i1']);
  });
});
