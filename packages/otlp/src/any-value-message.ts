import type { AnyValue, KeyValue } from '@semtel/pdata';
import { CodecError } from './codec-error.js';
import { bigintToBits, bitsToBigint, isInt64 } from './long-bits.js';
import type { AnyValueMessage, KeyValueMessage } from './message-types.js';

const hasOwn = Object.prototype.hasOwnProperty;

export function anyValueFromMessage(message: AnyValueMessage | null | undefined): AnyValue {
  if (!message) return undefined;
  if (hasOwn.call(message, 'stringValue')) return message.stringValue;
  if (hasOwn.call(message, 'intValue')) return bitsToBigint(message.intValue, false);
  if (hasOwn.call(message, 'boolValue')) return message.boolValue;
  if (hasOwn.call(message, 'doubleValue')) return message.doubleValue;
  if (hasOwn.call(message, 'kvlistValue')) return { kvlist: keyValuesFromMessages(message.kvlistValue?.values) };
  if (hasOwn.call(message, 'arrayValue')) {
    const values = message.arrayValue?.values ?? [];
    const result = new Array<AnyValue>(values.length);
    for (let index = 0; index < values.length; index++) result[index] = anyValueFromMessage(values[index]);
    return result;
  }
  if (hasOwn.call(message, 'bytesValue')) {
    // Copy: decoded bytes are views into the request body, which must not stay pinned.
    return new Uint8Array(message.bytesValue ?? []);
  }
  return undefined;
}

export function keyValuesFromMessages(messages: KeyValueMessage[] | null | undefined): KeyValue[] {
  if (!messages || messages.length === 0) return [];
  const result = new Array<KeyValue>(messages.length);
  for (let index = 0; index < messages.length; index++) {
    const message = messages[index] as KeyValueMessage;
    result[index] = { key: message.key ?? '', value: anyValueFromMessage(message.value) };
  }
  return result;
}

/** Encode errors carry no location; the signal codec adds it (so the happy path builds no path strings). */
export function anyValueToMessage(value: AnyValue): AnyValueMessage {
  switch (typeof value) {
    case 'string':
      return { stringValue: value };
    case 'boolean':
      return { boolValue: value };
    case 'number':
      return { doubleValue: value };
    case 'bigint':
      if (!isInt64(value)) throw new CodecError(`integer ${value} is outside int64`);
      return { intValue: bigintToBits(value, false) };
    case 'undefined':
      return {};
    case 'object': {
      if (value === null) return {};
      if (Array.isArray(value)) {
        const values = new Array<AnyValueMessage>(value.length);
        for (let index = 0; index < value.length; index++) values[index] = anyValueToMessage(value[index]);
        return { arrayValue: { values } };
      }
      if (value instanceof Uint8Array) return { bytesValue: value };
      return { kvlistValue: { values: keyValuesToMessages(value.kvlist) } };
    }
    default:
      throw new CodecError(`unsupported attribute value type ${typeof value}`);
  }
}

export function keyValuesToMessages(attributes: readonly KeyValue[]): KeyValueMessage[] {
  const result = new Array<KeyValueMessage>(attributes.length);
  for (let index = 0; index < attributes.length; index++) {
    const attribute = attributes[index] as KeyValue;
    result[index] = { key: attribute.key, value: anyValueToMessage(attribute.value) };
  }
  return result;
}
