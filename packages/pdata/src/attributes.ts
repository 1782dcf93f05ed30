import type { AnyValue, KeyValue } from './any-value.js';
import { isKeyValueList } from './any-value.js';

/** Returns the value of `key`, or undefined. Linear: attribute lists are short. */
export function getAttribute(attributes: readonly KeyValue[], key: string): AnyValue {
  for (const attribute of attributes) if (attribute.key === key) return attribute.value;
  return undefined;
}

export function hasAttribute(attributes: readonly KeyValue[], key: string): boolean {
  for (const attribute of attributes) if (attribute.key === key) return true;
  return false;
}

/** The value as a string when it is a string; numbers and booleans are not coerced. */
export function getStringAttribute(attributes: readonly KeyValue[], key: string): string | undefined {
  const value = getAttribute(attributes, key);
  return typeof value === 'string' ? value : undefined;
}

/** The value as a number when it is an int or a double. */
export function getNumberAttribute(attributes: readonly KeyValue[], key: string): number | undefined {
  const value = getAttribute(attributes, key);
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

/** Sets `key`, replacing an existing value in place: OTLP requires unique keys. */
export function setAttribute(attributes: KeyValue[], key: string, value: AnyValue): void {
  for (const attribute of attributes) {
    if (attribute.key === key) {
      attribute.value = value;
      return;
    }
  }
  attributes.push({ key, value });
}

export function removeAttribute(attributes: KeyValue[], key: string): boolean {
  const index = attributes.findIndex((attribute) => attribute.key === key);
  if (index < 0) return false;
  attributes.splice(index, 1);
  return true;
}

/** Converts an AnyValue to plain JavaScript (kvlist to object, bigint kept) for inspection. */
export function toPlain(value: AnyValue): unknown {
  if (Array.isArray(value)) return value.map(toPlain);
  if (isKeyValueList(value)) {
    const result: Record<string, unknown> = {};
    for (const entry of value.kvlist) result[entry.key] = toPlain(entry.value);
    return result;
  }
  return value;
}

/** Converts plain JSON-like data to an AnyValue: integers stay ints only when given as bigint. */
export function fromPlain(value: unknown): AnyValue {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map(fromPlain);
  if (typeof value === 'object') {
    return {
      kvlist: Object.entries(value as Record<string, unknown>).map(([key, entry]) => ({
        key,
        value: fromPlain(entry),
      })),
    };
  }
  return String(value);
}
