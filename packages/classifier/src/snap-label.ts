import { unknownLabel } from './taxonomy.js';
import type { TaxonomyDimension } from './taxonomy.js';

/** Lower-case snake_case form of a free-text label: "Computer Programming" → "computer_programming". */
export function normalizeLabel(raw: string): string {
  return raw
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** Shortest input a prefix or segment match is trusted for; shorter fragments are too ambiguous. */
const minimumFragmentLength = 4;
const fillerSegments = new Set(['and', 'or', 'the', 'of', 'a', 'an', 'to', 'with', 'for']);

/**
 * Snaps a model's label to the dimension: exact after normalisation; else a conservative match
 * (same letters without separators, unique leading words, unique whole name segment, or one clearly
 * closest label within a small edit distance and the same start); else `unknown`. The result is
 * always a label of the dimension or `unknown`.
 */
export function snapLabel(dimension: TaxonomyDimension, raw: string): string {
  const normalized = normalizeLabel(raw);
  if (!normalized) return unknownLabel;
  const names = dimension.labels.map((label) => label.name);
  if (names.includes(normalized)) return normalized;
  if (normalized === unknownLabel) return unknownLabel;

  const compact = normalized.replace(/_/g, '');
  const sameLetters = names.filter((name) => name.replace(/_/g, '') === compact);
  if (sameLetters.length === 1) return sameLetters[0] as string;

  if (normalized.length >= minimumFragmentLength) {
    // "computer" → computer_programming: the model dropped trailing words of a label.
    const prefixed = names.filter((name) => name.startsWith(`${normalized}_`));
    if (prefixed.length === 1) return prefixed[0] as string;
    // "asking_question" → asking: the model added words after a label.
    const extended = names.filter((name) => normalized.startsWith(`${name}_`));
    if (extended.length === 1) return extended[0] as string;
    if (!fillerSegments.has(normalized)) {
      const segment = names.filter((name) => name.split('_').includes(normalized));
      if (segment.length === 1) return segment[0] as string;
    }
  }

  const allowance = normalized.length < 5 ? 1 : normalized.length < 12 ? 2 : 3;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  let secondDistance = Number.POSITIVE_INFINITY;
  for (const name of names) {
    // A different start is usually a negation ("unsatisfied" is not "satisfied"), not a typo.
    if (name.slice(0, 2) !== normalized.slice(0, 2)) continue;
    const distance = editDistance(normalized, name, allowance + 1);
    if (distance < bestDistance) {
      secondDistance = bestDistance;
      bestDistance = distance;
      best = name;
    } else if (distance < secondDistance) {
      secondDistance = distance;
    }
  }
  if (best !== undefined && bestDistance <= allowance && secondDistance > bestDistance) return best;
  return unknownLabel;
}

/** Levenshtein distance, stopping early once it exceeds `limit` (returns limit + 1 then). */
function editDistance(left: string, right: string, limit: number): number {
  if (Math.abs(left.length - right.length) > limit) return limit + 1;
  let previous = Array.from({ length: right.length + 1 }, (_, index) => index);
  for (let row = 1; row <= left.length; row++) {
    const current = [row];
    let rowMinimum = row;
    for (let column = 1; column <= right.length; column++) {
      const substitution = (previous[column - 1] as number) + (left[row - 1] === right[column - 1] ? 0 : 1);
      const value = Math.min((previous[column] as number) + 1, (current[column - 1] as number) + 1, substitution);
      current.push(value);
      rowMinimum = Math.min(rowMinimum, value);
    }
    if (rowMinimum > limit) return limit + 1;
    previous = current;
  }
  return previous[right.length] as number;
}
