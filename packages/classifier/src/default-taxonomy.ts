import { resolveTaxonomy } from './resolve-taxonomy.js';
import type { Taxonomy } from './taxonomy.js';

let cached: Taxonomy | undefined;

/** The shipped taxonomy (taxonomy/default.yaml), parsed once; the result is frozen. */
export function defaultTaxonomy(): Taxonomy {
  cached ??= resolveTaxonomy('default');
  return cached;
}
