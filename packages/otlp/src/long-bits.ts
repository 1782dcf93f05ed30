/**
 * 64-bit integers cross between pdata (`bigint`) and protobufjs (`Long` or `{low, high}`) through
 * one shared 8-byte view: one BigInt allocation per value, no string or Long arithmetic.
 */
const view = new DataView(new ArrayBuffer(8));

/** protobufjs accepts any `{low, high}` object wherever it expects a Long. */
export interface LongBits {
  low: number;
  high: number;
  unsigned?: boolean;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

export function isInt64(value: bigint): boolean {
  return value >= INT64_MIN && value <= INT64_MAX;
}

export function isUint64(value: bigint): boolean {
  return value >= 0n && value <= UINT64_MAX;
}

export function bigintToBits(value: bigint, unsigned: boolean): LongBits {
  if (unsigned) view.setBigUint64(0, value, true);
  else view.setBigInt64(0, value, true);
  return { low: view.getInt32(0, true), high: view.getInt32(4, true), unsigned };
}

/** Reads a protobufjs 64-bit value (Long, `{low, high}`, number or bigint) as a bigint. */
export function bitsToBigint(value: unknown, unsigned: boolean): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(value);
  if (typeof value === 'string') return BigInt(value);
  if (value === null || value === undefined) return 0n;
  const bits = value as LongBits;
  const low = bits.low | 0;
  const high = bits.high | 0;
  if (high === 0 && low >= 0) return BigInt(low);
  view.setInt32(0, low, true);
  view.setInt32(4, high, true);
  return unsigned ? view.getBigUint64(0, true) : view.getBigInt64(0, true);
}

/** A protobufjs 64-bit value as a plain number (for counts that fit in 2^53). */
export function bitsToNumber(value: unknown, unsigned: boolean): number {
  return Number(bitsToBigint(value, unsigned));
}
