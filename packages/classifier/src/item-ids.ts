const itemIdPattern = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Checks the ids of one batch. They appear as JSON property names and in prompt delimiters, so they are
 * restricted to letters, digits, `_` and `-` (a programming error otherwise, hence the throw).
 */
export function assertItemIds(itemIds: readonly string[]): void {
  if (itemIds.length === 0) throw new RangeError('a batch needs at least one item');
  const seen = new Set<string>();
  for (const id of itemIds) {
    if (!itemIdPattern.test(id)) throw new RangeError(`invalid item id ${JSON.stringify(id)}: use [A-Za-z0-9_-]{1,64}`);
    if (seen.has(id)) throw new RangeError(`duplicate item id ${JSON.stringify(id)}`);
    seen.add(id);
  }
}

/**
 * Ids `i1`…`iN` for a batch of `count` items. Reusing the same positional ids in every batch keeps the
 * output schema (which names every id) identical for batches of equal size, so providers' prompt
 * caching, which covers the schema, keeps hitting.
 */
export function positionalItemIds(count: number): string[] {
  return Array.from({ length: Math.max(0, Math.floor(count)) }, (_, index) => `i${index + 1}`);
}
