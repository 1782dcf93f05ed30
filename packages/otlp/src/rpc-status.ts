import { CodecError } from './codec-error.js';
import type { Encoding } from './encoding.js';
import { asBuffer } from './hex.js';
import { bigintToBits, bitsToNumber } from './long-bits.js';
import { protoTypes } from './proto-types.js';
import { parseJson } from './request-body.js';

/** google.rpc.Status: the OTLP/HTTP error body and the gRPC `grpc-status-details-bin` trailer. */
export interface RpcStatus {
  code: number;
  message: string;
  /** A google.rpc.RetryInfo detail's `retry_delay`, in milliseconds. */
  retryDelayMs?: number;
}

const retryInfoTypeUrl = 'type.googleapis.com/google.rpc.RetryInfo';

interface AnyMessage {
  type_url?: string;
  value?: Uint8Array;
}

interface DurationMessage {
  seconds?: unknown;
  nanos?: number;
}

export function encodeRpcStatus(status: RpcStatus, encoding: Encoding): Uint8Array {
  if (!Number.isInteger(status.code)) throw new CodecError(`code: expected an integer, got ${status.code}`);
  const delay = status.retryDelayMs;
  if (delay !== undefined && (!Number.isFinite(delay) || delay < 0)) {
    throw new CodecError(`retryDelayMs: expected a non-negative number, got ${delay}`);
  }
  if (encoding === 'json') {
    const json: Record<string, unknown> = {};
    if (status.code) json.code = status.code;
    if (status.message) json.message = status.message;
    if (delay !== undefined) json.details = [{ '@type': retryInfoTypeUrl, retryDelay: durationToJson(delay) }];
    return Buffer.from(JSON.stringify(json), 'utf8');
  }
  if (encoding !== 'protobuf') throw new CodecError(`unknown encoding ${JSON.stringify(encoding)}`);
  const message: Record<string, unknown> = {};
  if (status.code) message.code = status.code;
  if (status.message) message.message = status.message;
  if (delay !== undefined) {
    const { seconds, nanos } = splitMilliseconds(delay);
    const duration: Record<string, unknown> = {};
    if (seconds) duration.seconds = bigintToBits(BigInt(seconds), false);
    if (nanos) duration.nanos = nanos;
    const value = protoTypes.retryInfo.encode({ retryDelay: duration }).finish();
    message.details = [{ type_url: retryInfoTypeUrl, value }];
  }
  return protoTypes.status.encode(message).finish();
}

export function decodeRpcStatus(body: Uint8Array, encoding: Encoding): RpcStatus {
  if (encoding === 'json') return rpcStatusFromJson(parseJson(body));
  if (encoding !== 'protobuf') throw new CodecError(`unknown encoding ${JSON.stringify(encoding)}`);
  let message: { code?: number; message?: string; details?: AnyMessage[] };
  try {
    message = protoTypes.status.decode(asBuffer(body)) as unknown as typeof message;
  } catch (error) {
    throw new CodecError(`invalid protobuf Status: ${(error as Error).message}`);
  }
  const status: RpcStatus = { code: message.code ?? 0, message: message.message ?? '' };
  for (const detail of message.details ?? []) {
    if (detail.type_url !== retryInfoTypeUrl || !detail.value) continue;
    let retryInfo: { retryDelay?: DurationMessage | null };
    try {
      retryInfo = protoTypes.retryInfo.decode(asBuffer(detail.value)) as unknown as typeof retryInfo;
    } catch (error) {
      throw new CodecError(`details: invalid protobuf RetryInfo: ${(error as Error).message}`);
    }
    if (retryInfo.retryDelay) {
      status.retryDelayMs =
        bitsToNumber(retryInfo.retryDelay.seconds, false) * 1000 + (retryInfo.retryDelay.nanos ?? 0) / 1e6;
    }
  }
  return status;
}

function splitMilliseconds(milliseconds: number): { seconds: number; nanos: number } {
  const seconds = Math.floor(milliseconds / 1000);
  const nanos = Math.round((milliseconds - seconds * 1000) * 1e6);
  return nanos >= 1e9 ? { seconds: seconds + 1, nanos: nanos - 1e9 } : { seconds, nanos };
}

/** proto3 JSON Duration: seconds with 0, 3, 6 or 9 fractional digits and an `s` suffix. */
function durationToJson(milliseconds: number): string {
  const { seconds, nanos } = splitMilliseconds(milliseconds);
  if (nanos === 0) return `${seconds}s`;
  const fraction = String(nanos).padStart(9, '0');
  const trimmed = fraction.endsWith('000000')
    ? fraction.slice(0, 3)
    : fraction.endsWith('000')
      ? fraction.slice(0, 6)
      : fraction;
  return `${seconds}.${trimmed}s`;
}

function durationFromJson(value: unknown): number {
  if (typeof value === 'string') {
    const match = /^(-?\d+)(?:\.(\d{1,9}))?s$/.exec(value);
    if (!match) throw new CodecError(`details[].retryDelay: not a duration: ${JSON.stringify(value)}`);
    const fraction = (match[2] ?? '').padEnd(9, '0');
    return Number(match[1]) * 1000 + Number(fraction) / 1e6;
  }
  if (typeof value === 'object' && value !== null) {
    const duration = value as { seconds?: unknown; nanos?: unknown };
    return Number(duration.seconds ?? 0) * 1000 + Number(duration.nanos ?? 0) / 1e6;
  }
  throw new CodecError('details[].retryDelay: expected a duration string');
}

function rpcStatusFromJson(json: unknown): RpcStatus {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new CodecError('expected a JSON object');
  const object = json as Record<string, unknown>;
  const code = object.code ?? 0;
  const numericCode = typeof code === 'string' && /^-?\d+$/.test(code) ? Number(code) : code;
  if (typeof numericCode !== 'number' || !Number.isInteger(numericCode)) {
    throw new CodecError(`code: expected an integer, got ${JSON.stringify(code)}`);
  }
  const message = object.message ?? '';
  if (typeof message !== 'string') throw new CodecError('message: expected a string');
  const status: RpcStatus = { code: numericCode, message };
  const details = object.details ?? [];
  if (!Array.isArray(details)) throw new CodecError('details: expected an array');
  for (const detail of details) {
    if (typeof detail !== 'object' || detail === null) continue;
    const entry = detail as Record<string, unknown>;
    if (entry['@type'] !== retryInfoTypeUrl) continue;
    const delay = entry.retryDelay ?? entry.retry_delay;
    if (delay !== undefined && delay !== null) status.retryDelayMs = durationFromJson(delay);
  }
  return status;
}
