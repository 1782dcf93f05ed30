import type protobuf from 'protobufjs';
import { CodecError } from './codec-error.js';
import type { Encoding } from './encoding.js';
import { asBuffer } from './hex.js';
import { messageFromJson, messageToJson } from './message-json.js';

const textDecoder = new TextDecoder('utf-8', { fatal: false });

/** Decodes a body of either encoding into a protobufjs message object. */
export function decodeMessage(type: protobuf.Type, body: Uint8Array, encoding: Encoding): Record<string, unknown> {
  if (encoding === 'json') return messageFromJson(type, parseJson(body));
  if (encoding !== 'protobuf') throw new CodecError(`unknown encoding ${JSON.stringify(encoding)}`);
  try {
    // A Buffer makes protobufjs use its Buffer reader: native UTF-8 decoding, zero-copy bytes.
    return type.decode(asBuffer(body)) as unknown as Record<string, unknown>;
  } catch (error) {
    throw new CodecError(`invalid protobuf ${type.name}: ${(error as Error).message}`);
  }
}

export function encodeMessage(type: protobuf.Type, message: Record<string, unknown>, encoding: Encoding): Uint8Array {
  if (encoding === 'json') return Buffer.from(JSON.stringify(messageToJson(type, message)), 'utf8');
  if (encoding !== 'protobuf') throw new CodecError(`unknown encoding ${JSON.stringify(encoding)}`);
  return type.encode(message).finish();
}

export function parseJson(body: Uint8Array): unknown {
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : textDecoder.decode(body);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CodecError(`invalid JSON: ${(error as Error).message}`);
  }
}
