import { createHash } from 'node:crypto';
import type { TaxonomyDimension, TaxonomyRollup } from './taxonomy.js';

/** JSON with object keys sorted at every level, so equal taxonomies serialise identically. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, entry]) => entry !== undefined)
      .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * sha256 (first 12 hex digits) of the canonical form: enabled dimensions in order with their labels in
 * order, and the roll-ups of enabled dimensions. Disabled dimensions do not change the version, since
 * they change no label on any span.
 */
export function computeTaxonomyVersion(dimensions: TaxonomyDimension[], rollups: TaxonomyRollup[] = []): string {
  const enabled = dimensions.filter((dimension) => dimension.enabled);
  const enabledNames = new Set(enabled.map((dimension) => dimension.name));
  const canonical = {
    dimensions: enabled.map((dimension) => ({
      name: dimension.name,
      description: dimension.description,
      multiLabel: dimension.multiLabel,
      labels: dimension.labels.map((label) => ({
        name: label.name,
        description: label.description,
        examples: label.examples,
      })),
    })),
    rollups: rollups
      .filter((rollup) => enabledNames.has(rollup.source))
      .map((rollup) => ({ name: rollup.name, source: rollup.source, groups: rollup.groups })),
  };
  return createHash('sha256').update(canonicalJson(canonical)).digest('hex').slice(0, 12);
}
