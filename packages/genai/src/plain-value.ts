import type { AnyValue } from '@semtel/pdata';
import { isKeyValueList } from '@semtel/pdata';

/** Deeper values are cut off: content this nested is not a conversation, and recursion must stay bounded. */
export const maximumDepth = 64;

/**
 * Converts an AnyValue to JSON-like JavaScript: kvlists become objects, int64 becomes a number
 * (content never needs 2^53 precision) and bytes become a short marker, since binary content is
 * only ever shown as a placeholder.
 */
export function plainValue(value: AnyValue, depth = 0): unknown {
  if (depth > maximumDepth) return undefined;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Uint8Array) return { type: 'blob', byteLength: value.byteLength };
  if (Array.isArray(value)) return value.map((entry) => plainValue(entry, depth + 1));
  if (isKeyValueList(value)) {
    const result: Record<string, unknown> = {};
    for (const entry of value.kvlist) result[entry.key] = plainValue(entry.value, depth + 1);
    return result;
  }
  return value;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

export function stringField(record: Record<string, unknown>, ...keys: string[]): string | undefined {
  for (const key of keys) {
    const value = record[key];
    if (typeof value === 'string') return value;
  }
  return undefined;
}
