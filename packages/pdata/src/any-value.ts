/**
 * An OTLP AnyValue. The JavaScript type carries the OTLP type, so a value survives a
 * round trip unchanged: `bigint` is `int_value` (int64 beyond 2^53 stays exact), `number`
 * is always `double_value` (so `1.0` stays a double), `Uint8Array` is `bytes_value`, an
 * array is `array_value`, a {@link KeyValueList} is `kvlist_value`, and `undefined` is
 * the empty value.
 */
export type AnyValue = string | boolean | bigint | number | Uint8Array | AnyValue[] | KeyValueList | undefined;

export interface KeyValue {
  key: string;
  value: AnyValue;
}

/** A `kvlist_value`. Boxed so it cannot be confused with an array of values. */
export interface KeyValueList {
  readonly kvlist: KeyValue[];
}

export function isKeyValueList(value: AnyValue): value is KeyValueList {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

export function kvlist(values: KeyValue[]): KeyValueList {
  return { kvlist: values };
}
