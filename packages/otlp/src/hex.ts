import { CodecError } from './codec-error.js';

const emptyBytes = new Uint8Array(0);

export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Lower-case hex of an id of any length; an absent id is ''. */
export function bytesToHex(bytes: Uint8Array | null | undefined): string {
  if (!bytes || bytes.length === 0) return '';
  return asBuffer(bytes).toString('hex');
}

/** Parses hex in either case; undefined when it is not an even-length hex string. */
export function tryHexToBytes(hex: string): Buffer | undefined {
  const bytes = Buffer.from(hex, 'hex');
  // Buffer.from stops silently at the first invalid character, so a length check catches every error.
  return bytes.length * 2 === hex.length ? bytes : undefined;
}

export function hexToBytes(hex: string, field: string): Uint8Array {
  if (hex.length === 0) return emptyBytes;
  const bytes = tryHexToBytes(hex);
  if (!bytes) throw new CodecError(`${field}: not hex: ${JSON.stringify(hex.slice(0, 64))}`);
  return bytes;
}
