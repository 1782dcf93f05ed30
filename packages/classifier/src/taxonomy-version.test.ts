import { describe, expect, it } from 'vitest';
import { defaultTaxonomy } from './default-taxonomy.js';
import { resolveTaxonomy } from './resolve-taxonomy.js';
import type { TaxonomyDimension } from './taxonomy.js';
import { canonicalJson, computeTaxonomyVersion } from './taxonomy-version.js';

const dimension = (overrides: Partial<TaxonomyDimension> = {}): TaxonomyDimension => ({
  name: 'colour',
  description: 'Colour.',
  labels: [
    { name: 'red', description: 'Red.' },
    { name: 'blue', description: 'Blue.' },
  ],
  multiLabel: false,
  enabled: true,
  ...overrides,
});

describe('computeTaxonomyVersion', () => {
  it('is a 12-hex-digit hash, stable across calls and loads', () => {
    expect(computeTaxonomyVersion([dimension()])).toMatch(/^[0-9a-f]{12}$/);
    expect(computeTaxonomyVersion([dimension()])).toBe(computeTaxonomyVersion([dimension()]));
    expect(resolveTaxonomy('default').version).toBe(defaultTaxonomy().version);
  });

  it('changes with a label description, label order, a new dimension or multi-label', () => {
    const original = computeTaxonomyVersion([dimension()]);
    const changed = [
      [
        dimension({
          labels: [
            { name: 'red', description: 'Crimson.' },
            { name: 'blue', description: 'Blue.' },
          ],
        }),
      ],
      [
        dimension({
          labels: [
            { name: 'blue', description: 'Blue.' },
            { name: 'red', description: 'Red.' },
          ],
        }),
      ],
      [dimension(), dimension({ name: 'shade' })],
      [dimension({ multiLabel: true })],
    ].map((dimensions) => computeTaxonomyVersion(dimensions));
    for (const version of changed) expect(version).not.toBe(original);
    expect(new Set(changed).size).toBe(changed.length);
  });

  it('ignores disabled dimensions', () => {
    const original = computeTaxonomyVersion([dimension()]);
    expect(computeTaxonomyVersion([dimension(), dimension({ name: 'shade', enabled: false })])).toBe(original);
  });

  it('serialises with sorted keys', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined, e: 'x' }] })).toBe('{"a":[{"d":2,"e":"x"}],"b":1}');
  });
});
