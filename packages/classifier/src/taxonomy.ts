export interface TaxonomyLabel {
  name: string;
  description: string;
  examples?: string[];
}

export interface TaxonomyDimension {
  name: string;
  description: string;
  labels: TaxonomyLabel[];
  multiLabel: boolean;
  enabled: boolean;
}

/** A coarse attribute derived from one dimension's label, e.g. task_type → task_group. */
export interface TaxonomyRollup {
  name: string;
  source: string;
  /** group name → the source dimension's labels that roll up to it. */
  groups: Record<string, string[]>;
}

export interface Taxonomy {
  dimensions: TaxonomyDimension[];
  /** Short hash of the canonical form (enabled dimensions and their roll-ups). */
  version: string;
  /** Optional so taxonomies built by hand (tests, fakes) stay valid; `computeRollups` falls back to the defaults. */
  rollups?: TaxonomyRollup[];
}

/**
 * Allowed in every dimension besides its own labels: semtel could not determine a label (the answer
 * could not be snapped, or the item had no usable signal). A dimension's escape label (`unclear`,
 * `other`, `none`, …) is instead a judgement the classifier made.
 */
export const unknownLabel = 'unknown';

/** Escape labels in order of preference: the first one a dimension has is its "no clear answer" label. */
const escapeLabelPreference = ['unknown', 'unclear', 'none', 'other'] as const;

export function escapeLabel(dimension: TaxonomyDimension): string {
  for (const candidate of escapeLabelPreference) {
    if (dimension.labels.some((label) => label.name === candidate)) return candidate;
  }
  return unknownLabel;
}

export function enabledDimensions(taxonomy: Taxonomy): TaxonomyDimension[] {
  return taxonomy.dimensions.filter((dimension) => dimension.enabled);
}

/** The dimension's labels plus `unknown`, which every dimension accepts. */
export function allowedLabels(dimension: TaxonomyDimension): string[] {
  const names = dimension.labels.map((label) => label.name);
  return names.includes(unknownLabel) ? names : [...names, unknownLabel];
}
