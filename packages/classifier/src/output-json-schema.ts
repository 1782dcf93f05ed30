import { countTokens } from './count-tokens.js';
import { assertItemIds, positionalItemIds } from './item-ids.js';
import { checkStrictJsonSchema, structuredOutputLimits } from './strict-json-schema.js';
import type { StructuredOutputLimits } from './strict-json-schema.js';
import { enabledDimensions } from './taxonomy.js';
import type { Taxonomy, TaxonomyDimension } from './taxonomy.js';

/**
 * The structured-output schema name LLM clients should send with the schema (a-z, 0-9, `_`, `-`, at
 * most 64 characters): with the prompt marker, it makes semtel's own calls recognisable in telemetry.
 */
export const classificationSchemaName = 'semtel_classification';

/** Name of the shared per-item definition; every item id refers to it, so the label enums appear once. */
const itemDefinition = 'item';

function dimensionSchema(dimension: TaxonomyDimension): Record<string, unknown> {
  const labels = { type: 'string', enum: dimension.labels.map((label) => label.name) };
  return dimension.multiLabel ? { type: 'array', items: labels } : labels;
}

/**
 * A strict structured-output JSON schema for one batch: an object with one required property per item
 * id, each an object with one required field per enabled dimension (an enum of its labels, or an array
 * of that enum for multi-label dimensions).
 */
export function buildOutputJsonSchema(taxonomy: Taxonomy, itemIds: string[]): Record<string, unknown> {
  assertItemIds(itemIds);
  const dimensions = enabledDimensions(taxonomy);
  const item = {
    type: 'object',
    properties: Object.fromEntries(dimensions.map((dimension) => [dimension.name, dimensionSchema(dimension)])),
    required: dimensions.map((dimension) => dimension.name),
    additionalProperties: false,
  };
  // $defs first: the stable part of the schema then leads, ahead of the per-batch item ids.
  return {
    $defs: { [itemDefinition]: item },
    type: 'object',
    properties: Object.fromEntries(itemIds.map((id) => [id, { $ref: `#/$defs/${itemDefinition}` }])),
    required: [...itemIds],
    additionalProperties: false,
  };
}

export interface MaxItemsOptions {
  limits?: StructuredOutputLimits;
  /** Count the shared item definition once per item (conservative; see `measureJsonSchema`). */
  expandReferences?: boolean;
}

/** Upper bound of the search; far above any sensible batch. */
const maximumBatchItems = 10_000;
const maxItemsCache = new Map<string, number>();

/**
 * The largest batch whose output schema stays within the structured-output limits (0 when even one item
 * does not fit). The processor caps its batch size with it. Ids are assumed positional (`i1`…).
 */
export function maxItemsForSchema(taxonomy: Taxonomy, options: MaxItemsOptions = {}): number {
  const limits = options.limits ?? structuredOutputLimits;
  const expandReferences = options.expandReferences ?? false;
  const key = `${taxonomy.version}:${JSON.stringify(limits)}:${expandReferences}`;
  const cached = maxItemsCache.get(key);
  if (cached !== undefined) return cached;
  const fits = (count: number): boolean =>
    checkStrictJsonSchema(buildOutputJsonSchema(taxonomy, positionalItemIds(count)), limits, { expandReferences })
      .length === 0;
  // Schema size grows with the item count, so the fitting counts are a prefix: double until a count
  // does not fit, then binary-search between the last two.
  let low = 0;
  let high = 1;
  while (high <= maximumBatchItems && fits(high)) {
    low = high;
    high *= 2;
  }
  high = Math.min(high - 1, maximumBatchItems);
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (fits(middle)) low = middle;
    else high = middle - 1;
  }
  if (maxItemsCache.size > 64) maxItemsCache.clear();
  maxItemsCache.set(key, low);
  return low;
}

/**
 * Output tokens one item can take in the model's answer (pretty-printed, longest label of every
 * dimension, every label of multi-label ones): size `max_tokens` as items × this plus a margin.
 */
export function maxOutputTokensPerItem(taxonomy: Taxonomy): number {
  const longest = (dimension: TaxonomyDimension): string =>
    dimension.labels.reduce((best, label) => (label.name.length > best.length ? label.name : best), '');
  const worstItem = Object.fromEntries(
    enabledDimensions(taxonomy).map((dimension) => [
      dimension.name,
      dimension.multiLabel ? dimension.labels.map((label) => label.name) : longest(dimension),
    ]),
  );
  const one = JSON.stringify({ i1000: worstItem }, null, 2);
  const two = JSON.stringify({ i1000: worstItem, i1001: worstItem }, null, 2);
  return countTokens(two) - countTokens(one);
}
