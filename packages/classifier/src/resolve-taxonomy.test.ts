import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultTaxonomy } from './default-taxonomy.js';
import { resolveTaxonomy } from './resolve-taxonomy.js';
import { allowedLabels, enabledDimensions, escapeLabel } from './taxonomy.js';
import { TaxonomyError } from './taxonomy-error.js';

const directory = mkdtempSync(join(tmpdir(), 'semtel-taxonomy-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
}

function issuesOf(action: () => unknown): { path: string; message: string }[] {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(TaxonomyError);
    return (error as TaxonomyError).issues;
  }
  throw new Error('expected a TaxonomyError');
}

const colour = {
  name: 'colour',
  description: 'Colour mentioned.',
  labels: [
    { name: 'red', description: 'Red things.' },
    { name: 'blue', description: 'Blue things.' },
  ],
};

describe('defaultTaxonomy', () => {
  const taxonomy = defaultTaxonomy();

  it('has the seven core dimensions enabled, in order, and the add-ons disabled', () => {
    expect(enabledDimensions(taxonomy).map((dimension) => dimension.name)).toEqual([
      'intent',
      'task_type',
      'domain',
      'task_complexity',
      'user_expertise',
      'satisfaction',
      'collaboration_mode',
    ]);
    const disabled = taxonomy.dimensions.filter((dimension) => !dimension.enabled);
    expect(disabled.map((dimension) => dimension.name)).toEqual([
      'satisfaction_reasons',
      'work_related',
      'knowledge_work',
    ]);
    expect(disabled[0]?.multiLabel).toBe(true);
  });

  it('has every label of the reference taxonomy with descriptions', () => {
    const count = (name: string): number =>
      taxonomy.dimensions.find((dimension) => dimension.name === name)?.labels.length ?? 0;
    expect([count('intent'), count('task_type'), count('domain'), count('task_complexity')]).toEqual([4, 24, 16, 7]);
    expect([count('user_expertise'), count('satisfaction'), count('collaboration_mode')]).toEqual([6, 3, 6]);
    for (const dimension of taxonomy.dimensions) {
      for (const label of dimension.labels) expect(label.description.length).toBeGreaterThan(5);
    }
  });

  it('gives each dimension the escape label of the reference and always accepts unknown', () => {
    const escapes = Object.fromEntries(
      enabledDimensions(taxonomy).map((dimension) => [dimension.name, escapeLabel(dimension)]),
    );
    expect(escapes).toEqual({
      intent: 'unclear',
      task_type: 'unclear',
      domain: 'unclear',
      task_complexity: 'unclear',
      user_expertise: 'unknown',
      satisfaction: 'unknown',
      collaboration_mode: 'none',
    });
    for (const dimension of taxonomy.dimensions) expect(allowedLabels(dimension)).toContain('unknown');
  });

  it('ships the three roll-ups, and the result is frozen', () => {
    expect(taxonomy.rollups?.map((rollup) => rollup.name)).toEqual([
      'task_group',
      'task_complexity_band',
      'automation_vs_augmentation',
    ]);
    expect(Object.isFrozen(taxonomy.dimensions[0]?.labels)).toBe(true);
    expect(taxonomy.version).toMatch(/^[0-9a-f]{12}$/);
  });
});

describe('resolveTaxonomy', () => {
  const base = defaultTaxonomy();

  it('resolves "default" to the shipped taxonomy', () => {
    expect(resolveTaxonomy('default').version).toBe(base.version);
    expect(resolveTaxonomy({}).version).toBe(base.version);
  });

  it('appends a user dimension to the default, enabled, and changes the version', () => {
    const taxonomy = resolveTaxonomy({ dimensions: [colour] });
    expect(taxonomy.dimensions.at(-1)).toMatchObject({ name: 'colour', enabled: true, multiLabel: false });
    expect(taxonomy.version).not.toBe(base.version);
  });

  it('replaces a default dimension of the same name in place and drops its roll-up', () => {
    const taxonomy = resolveTaxonomy({ dimensions: [{ ...colour, name: 'task_type' }] });
    const index = taxonomy.dimensions.findIndex((dimension) => dimension.name === 'task_type');
    expect(index).toBe(1);
    expect(taxonomy.dimensions[index]?.labels.map((label) => label.name)).toEqual(['red', 'blue']);
    expect(taxonomy.rollups?.map((rollup) => rollup.name)).not.toContain('task_group');
  });

  it('disables and enables dimensions by name', () => {
    const taxonomy = resolveTaxonomy({ disable: ['satisfaction'], enable: ['work_related'] });
    const enabled = enabledDimensions(taxonomy).map((dimension) => dimension.name);
    expect(enabled).not.toContain('satisfaction');
    expect(enabled).toContain('work_related');
    expect(taxonomy.version).not.toBe(base.version);
  });

  it('builds from nothing with base none', () => {
    const taxonomy = resolveTaxonomy({ base: 'none', dimensions: [colour] });
    expect(taxonomy.dimensions.map((dimension) => dimension.name)).toEqual(['colour']);
    expect(taxonomy.rollups).toEqual([]);
  });

  it('loads a taxonomy file relative to the base directory; a file extends nothing unless it says so', () => {
    write(
      'colours.yaml',
      `dimensions:\n  - name: colour\n    description: Colour.\n    labels:\n      - { name: red, description: Red. }\n      - { name: blue, description: Blue. }\n`,
    );
    const alone = resolveTaxonomy('./colours.yaml', { baseDirectory: directory });
    expect(alone.dimensions.map((dimension) => dimension.name)).toEqual(['colour']);

    write('extended.yaml', 'base: default\ndisable: [domain]\n');
    const extended = resolveTaxonomy('extended.yaml', { baseDirectory: directory });
    expect(extended.dimensions.find((dimension) => dimension.name === 'domain')?.enabled).toBe(false);

    write('chained.yaml', 'base: ./colours.yaml\nenable: []\n');
    expect(resolveTaxonomy({ base: './chained.yaml' }, { baseDirectory: directory }).dimensions).toHaveLength(1);
  });

  it('reports a missing file, a YAML syntax error and a base cycle', () => {
    expect(issuesOf(() => resolveTaxonomy('./missing.yaml', { baseDirectory: directory }))[0]?.message).toMatch(
      /cannot read taxonomy file/,
    );
    const broken = write('broken.yaml', 'dimensions: [\n  - name: x\n');
    expect(issuesOf(() => resolveTaxonomy(broken))[0]?.path).toBe(broken);
    write('a.yaml', 'base: ./b.yaml\n');
    write('b.yaml', 'base: ./a.yaml\n');
    expect(issuesOf(() => resolveTaxonomy('a.yaml', { baseDirectory: directory }))[0]?.message).toMatch(/base cycle/);
  });

  it('reports every validation problem at once with precise paths', () => {
    const issues = issuesOf(() =>
      resolveTaxonomy({
        dimensions: [
          {
            name: 'Bad Name',
            description: ' ',
            labels: [
              { name: 'same', description: 'One.' },
              { name: 'same', description: 'Two.' },
            ],
          },
          { name: 'lonely', description: 'Too few labels.', labels: [{ name: 'only', description: 'Only.' }] },
        ],
        disable: ['Nope'],
      }),
    );
    const byPath = Object.fromEntries(issues.map((issue) => [issue.path, issue.message]));
    expect(byPath['dimensions[0].name']).toMatch(/snake_case/);
    expect(byPath['dimensions[0].description']).toMatch(/empty/);
    expect(byPath['dimensions[0].labels[1].name']).toMatch(/duplicate label "same"/);
    expect(byPath['dimensions[1].labels']).toMatch(/at least 2 labels/);
    expect(byPath['disable[0]']).toMatch(/snake_case/);
  });

  it('rejects unknown keys, unknown dimensions to disable and bad roll-ups', () => {
    expect(issuesOf(() => resolveTaxonomy({ dimension: [] } as never))[0]?.message).toMatch(/Unrecognized key/i);
    expect(issuesOf(() => resolveTaxonomy({ disable: ['colour'] }))).toEqual([
      { path: 'disable[0]', message: 'unknown dimension "colour"' },
    ]);
    const issues = issuesOf(() =>
      resolveTaxonomy({
        dimensions: [colour],
        rollups: [{ name: 'warmth', source: 'colour', groups: { warm: ['red', 'pink'] } }],
      }),
    );
    expect(issues).toEqual([{ path: 'rollups[0].groups.warm[1]', message: '"pink" is not a label of colour' }]);
  });

  it('refuses dimension and roll-up names that collide with the attributes semtel writes', () => {
    const named = (name: string) => ({ ...colour, name });
    const issues = issuesOf(() =>
      resolveTaxonomy({
        dimensions: [named('status'), named('status_reason'), named('classifier'), named('taxonomy'), colour],
        rollups: [{ name: 'status', source: 'colour', groups: { warm: ['red'] } }],
      }),
    );
    const reserved = (name: string, attribute: string) =>
      `"${name}" is reserved: semtel writes <prefix>.${attribute} itself (reserved names: status, status_reason, classifier, taxonomy)`;
    expect(issues).toEqual([
      { path: 'dimensions[0].name', message: reserved('status', 'status') },
      { path: 'dimensions[1].name', message: reserved('status_reason', 'status_reason') },
      { path: 'dimensions[2].name', message: reserved('classifier', 'classifier.model') },
      { path: 'dimensions[3].name', message: reserved('taxonomy', 'taxonomy.version') },
      { path: 'rollups[0].name', message: reserved('status', 'status') },
      { path: 'rollups[0].name', message: '"status" is already a dimension name' },
    ]);
  });

  it('refuses a dimension named like a roll-up, from the base or defined beside it', () => {
    expect(issuesOf(() => resolveTaxonomy({ dimensions: [{ ...colour, name: 'task_group' }] }))).toEqual([
      {
        path: 'dimensions[0].name',
        message:
          '"task_group" is the name of a roll-up (derived from task_type): both would be written to <prefix>.task_group',
      },
    ]);
    const file = write(
      'rollup-clash.yaml',
      [
        'base: none',
        'dimensions:',
        '  - { name: colour, description: Colour., labels: [{ name: red, description: Red. }, { name: blue, description: Blue. }] }',
        '  - { name: warmth, description: Warmth., labels: [{ name: warm, description: Warm. }, { name: cold, description: Cold. }] }',
        'rollups:',
        '  - { name: hue, source: colour, groups: { warm: [red], cool: [blue] } }',
      ].join('\n'),
    );
    expect(issuesOf(() => resolveTaxonomy({ base: file, dimensions: [{ ...colour, name: 'hue' }] }))).toEqual([
      {
        path: 'dimensions[0].name',
        message: '"hue" is the name of a roll-up (derived from colour): both would be written to <prefix>.hue',
      },
    ]);
    // Replacing the roll-up's source drops the roll-up, and with it the clash.
    expect(() =>
      resolveTaxonomy({
        dimensions: [
          { ...colour, name: 'task_type' },
          { ...colour, name: 'task_group' },
        ],
      }),
    ).not.toThrow();
  });

  it('prefixes issues of a taxonomy file with the file', () => {
    const file = write(
      'invalid.yaml',
      'dimensions:\n  - name: colour\n    description: Colour.\n    labels:\n      - { name: red, description: "" }\n      - { name: blue, description: Blue. }\n',
    );
    expect(issuesOf(() => resolveTaxonomy(file))).toEqual([
      { path: `${file}: dimensions[0].labels[0].description`, message: 'must not be empty' },
    ]);
  });

  it('refuses a taxonomy with no enabled dimension', () => {
    expect(
      issuesOf(() => resolveTaxonomy({ base: 'none', dimensions: [{ ...colour, enabled: false }] }))[0]?.message,
    ).toBe('no dimension is enabled');
  });
});
