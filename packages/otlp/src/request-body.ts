import { isSafeNumber, parse as parseLosslessJson } from 'lossless-json';
import type protobuf from 'protobufjs';
import { CodecError } from './codec-error.js';
import type { Encoding } from './encoding.js';
import { asBuffer } from './hex.js';
import { InexactIntegerError, messageFromJson, messageToJson } from './message-json.js';
import { maxMessageDepth } from './proto-types.js';
import { VerifyingBufferReader } from './verifying-buffer-reader.js';

const textDecoder = new TextDecoder('utf-8', { fatal: false });

/** Decodes a body of either encoding into a protobufjs message object. */
export function decodeMessage(type: protobuf.Type, body: Uint8Array, encoding: Encoding): Record<string, unknown> {
  if (encoding === 'json') return messageFromJsonBody(type, body);
  if (encoding !== 'protobuf') throw new CodecError(`unknown encoding ${JSON.stringify(encoding)}`);
  try {
    // A Buffer reader: native UTF-8 decoding, zero-copy bytes.
    return type.decode(new VerifyingBufferReader(asBuffer(body))) as unknown as Record<string, unknown>;
  } catch (error) {
    const reason = (error as Error).message;
    // protobufjs says only "max depth exceeded"; name the limit so the sender knows what to fix.
    const explained =
      reason === 'max depth exceeded'
        ? `messages nested more than ${maxMessageDepth} deep (an AnyValue array level nests two messages, a kvlist level three)`
        : reason;
    throw new CodecError(`invalid protobuf ${type.name}: ${explained}`);
  }
}

export function encodeMessage(type: protobuf.Type, message: Record<string, unknown>, encoding: Encoding): Uint8Array {
  if (encoding === 'json') return Buffer.from(JSON.stringify(messageToJson(type, message)), 'utf8');
  if (encoding !== 'protobuf') throw new CodecError(`unknown encoding ${JSON.stringify(encoding)}`);
  return type.encode(message).finish();
}

function messageFromJsonBody(type: protobuf.Type, body: Uint8Array): Record<string, unknown> {
  const text = bodyText(body);
  try {
    return messageFromJson(type, parseJsonText(text, fastParse));
  } catch (error) {
    // Only a body with a 64-bit integer beyond 2^53 as a JSON number pays for the exact parser.
    if (!(error instanceof InexactIntegerError)) throw error;
    return messageFromJson(type, parseJsonText(text, exactParse));
  }
}

export function parseJson(body: Uint8Array): unknown {
  return parseJsonText(bodyText(body), fastParse);
}

function bodyText(body: Uint8Array): string {
  return Buffer.isBuffer(body) ? body.toString('utf8') : textDecoder.decode(body);
}

function parseJsonText(text: string, parse: (text: string) => unknown): unknown {
  try {
    return parse(text);
  } catch (error) {
    throw new CodecError(`invalid JSON: ${(error as Error).message}`);
  }
}

const fastParse = (text: string): unknown => JSON.parse(text) as unknown;

/** Like JSON.parse (the last duplicate key wins), but integers beyond 2^53 become exact bigints. */
const exactParse = (text: string): unknown =>
  parseLosslessJson(text, null, {
    parseNumber: (digits) => (isSafeNumber(digits) || !/^-?\d+$/.test(digits) ? Number(digits) : BigInt(digits)),
    onDuplicateKey: ({ newValue }) => newValue,
  });
