import protobuf from 'protobufjs';
import { CodecError } from './codec-error.js';
import { bytesToHex, asBuffer, tryHexToBytes } from './hex.js';
import type { LongBits } from './long-bits.js';
import { bigintToBits, bitsToBigint, isInt64, isUint64 } from './long-bits.js';
import { maxMessageDepth } from './proto-types.js';

/**
 * The OTLP/JSON mapping (proto3 JSON with OTLP's deviations), driven by the protobufjs reflection
 * types so every message of every signal follows the same rules:
 * ids are hex, 64-bit integers are decimal strings, enums are integers, other bytes are base64,
 * defaults are omitted. Decoding is lenient the way the collector is: numbers or strings for
 * integers, snake_case keys, enum names, any-case hex, the pre-2022 `instrumentationLibrary*` keys.
 *
 * Whatever it accepts can be encoded as protobuf again, so a request answered 200 is never
 * dropped at export: messages nest no deeper than protobufjs will encode, and strings are
 * well-formed UTF-16 (so they encode as valid UTF-8). 64-bit integers given as JSON numbers stay
 * exact: values that JSON.parse would round come as bigint from a second, exact parse.
 */

type JsonObject = Record<string, unknown>;
type Message = Record<string, unknown>;

/** OTLP fields whose bytes are hex in JSON instead of base64. */
const hexIdFields = new Set(['traceId', 'spanId', 'parentSpanId']);

const legacyAliases: Record<string, string> = {
  instrumentationLibrarySpans: 'scopeSpans',
  instrumentationLibraryLogs: 'scopeLogs',
  instrumentationLibraryMetrics: 'scopeMetrics',
  instrumentationLibrary: 'scope',
};

const unsignedLongTypes = new Set(['uint64', 'fixed64']);
const longTypes = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

/**
 * A 64-bit field holds a JSON number beyond 2^53, which JSON.parse cannot represent exactly.
 * Senders do this (the OpenTelemetry JS SDK writes integer attributes as numbers, and the
 * collector reads them exactly), so the body is parsed again with integers kept as bigint.
 */
export class InexactIntegerError extends Error {
  override readonly name = 'InexactIntegerError';
}

/** Thrown inside the walk; the path is assembled while it unwinds so the happy path builds no strings. */
class JsonPathError extends Error {
  readonly segments: string[] = [];
  constructor(readonly reason: string) {
    super(reason);
  }
}

function fail(reason: string): never {
  throw new JsonPathError(reason);
}

/** A path this long is a deep nesting; its middle repeats and would only bury the useful ends. */
const maxPathSegments = 24;

function formatPath(segments: readonly string[]): string {
  const shown = segments.length <= maxPathSegments ? segments : [...segments.slice(0, 16), '…', ...segments.slice(-4)];
  return shown.join('').replace(/^\./, '');
}

interface Utf16Checks {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

const fieldTables = new WeakMap<protobuf.Type, Map<string, protobuf.Field>>();

function fieldTable(type: protobuf.Type): Map<string, protobuf.Field> {
  let table = fieldTables.get(type);
  if (table) return table;
  table = new Map();
  for (const field of type.fieldsArray) {
    table.set(field.name, field);
    const protoName = (field as protobuf.Field & { protoName?: string }).protoName;
    if (protoName) table.set(protoName, field);
    const jsonName = (field as protobuf.Field & { jsonName?: string }).jsonName;
    if (jsonName) table.set(jsonName, field);
  }
  for (const [alias, target] of Object.entries(legacyAliases)) {
    const field = table.get(target);
    if (field) {
      table.set(alias, field);
      table.set(
        alias.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`),
        field,
      );
    }
  }
  fieldTables.set(type, table);
  return table;
}

function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'bigint') return `number ${String(value)}`;
  return `${typeof value} ${String(value)}`;
}

/** Converts parsed OTLP/JSON into a protobufjs-encodable message object; throws CodecError with a path. */
export function messageFromJson(type: protobuf.Type, json: unknown): Message {
  try {
    if (!isPlainObject(json)) fail(`expected an object, got ${describe(json)}`);
    return objectToMessage(type, json, 0);
  } catch (error) {
    if (error instanceof JsonPathError) {
      const path = formatPath(error.segments);
      throw new CodecError(path ? `${path}: ${error.reason}` : error.reason);
    }
    throw error;
  }
}

/** `depth` counts enclosing messages the way protobufjs's encoder does (the request is 0). */
function objectToMessage(type: protobuf.Type, json: JsonObject, depth: number): Message {
  if (depth > maxMessageDepth) {
    fail(
      `nested more than ${maxMessageDepth} messages deep, which protobuf cannot encode; flatten the value (an array level nests two messages, a kvlist level three)`,
    );
  }
  const table = fieldTable(type);
  const message: Message = {};
  for (const key in json) {
    const value = json[key];
    if (value === null || value === undefined) continue;
    const field = table.get(key);
    if (!field) continue; // unknown keys MUST be ignored
    try {
      if (field.repeated) {
        if (!Array.isArray(value)) fail(`expected an array, got ${describe(value)}`);
        const existing = message[field.name] as unknown[] | undefined;
        const target = existing ?? [];
        for (let index = 0; index < value.length; index++) {
          try {
            target.push(convertValue(field, value[index], depth));
          } catch (error) {
            if (error instanceof JsonPathError) error.segments.unshift(`[${index}]`);
            throw error;
          }
        }
        message[field.name] = target;
      } else {
        message[field.name] = convertValue(field, value, depth);
      }
    } catch (error) {
      if (error instanceof JsonPathError) error.segments.unshift(`.${field.name}`);
      throw error;
    }
  }
  return message;
}

function convertValue(field: protobuf.Field, value: unknown, depth: number): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) {
    if (!isPlainObject(value)) fail(`expected an object, got ${describe(value)}`);
    return objectToMessage(resolved, value, depth + 1);
  }
  if (resolved instanceof protobuf.Enum) return enumFromJson(resolved, value);
  switch (field.type) {
    case 'string':
      if (typeof value !== 'string') fail(`expected a string, got ${describe(value)}`);
      return wellFormed(value);
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (value === 'true') return true;
      if (value === 'false') return false;
      return fail(`expected a boolean, got ${describe(value)}`);
    case 'bytes':
      return hexIdFields.has(field.name) ? hexFromJson(value) : base64FromJson(value);
    case 'double':
    case 'float':
      return doubleFromJson(value);
    case 'int32':
    case 'sint32':
    case 'sfixed32':
      return int32FromJson(value, -2147483648, 2147483647);
    case 'uint32':
    case 'fixed32':
      return int32FromJson(value, 0, 4294967295);
    default:
      if (longTypes.has(field.type)) return longFromJson(value, unsignedLongTypes.has(field.type));
      return fail(`unsupported field type ${field.type}`);
  }
}

/**
 * JSON escapes can spell a lone surrogate (`"\\ud800"`), which has no UTF-8 encoding: protobufjs
 * would write bytes a strict decoder (the collector, another semtel) refuses. Like Go's
 * encoding/json, replace it with U+FFFD.
 */
function wellFormed(value: string): string {
  const checked = value as string & Utf16Checks;
  return checked.isWellFormed() ? value : checked.toWellFormed();
}

function enumFromJson(type: protobuf.Enum, value: unknown): number {
  if (typeof value === 'bigint') fail(`enum value ${value} out of range`);
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) fail(`expected an enum integer, got ${describe(value)}`);
    return value; // unknown values from newer senders are kept
  }
  if (typeof value === 'string') {
    const known = type.values[value];
    if (known !== undefined) return known;
    if (/^-?\d+$/.test(value)) return Number(value);
    fail(`unknown ${type.name} value ${JSON.stringify(value)}`);
  }
  return fail(`expected an enum integer or name, got ${describe(value)}`);
}

function hexFromJson(value: unknown): Uint8Array {
  if (typeof value !== 'string') fail(`expected a hex string, got ${describe(value)}`);
  if (value.length === 0) return new Uint8Array(0);
  const bytes = tryHexToBytes(value);
  if (!bytes) fail(`not hex: ${JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value)}`);
  return bytes;
}

const base64Pattern = /^[A-Za-z0-9+/_-]*={0,2}$/;

function base64FromJson(value: unknown): Uint8Array {
  if (typeof value !== 'string') fail(`expected a base64 string, got ${describe(value)}`);
  if (!base64Pattern.test(value)) fail('not base64');
  return Buffer.from(value, 'base64');
}

function doubleFromJson(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string') {
    if (value === 'NaN') return Number.NaN;
    if (value === 'Infinity') return Number.POSITIVE_INFINITY;
    if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
    const number = Number(value);
    if (value.trim() !== '' && !Number.isNaN(number)) return number;
  }
  return fail(`expected a number, got ${describe(value)}`);
}

function int32FromJson(value: unknown, min: number, max: number): number {
  const number =
    (typeof value === 'string' && /^-?\d+$/.test(value)) || typeof value === 'bigint' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number)) fail(`expected an integer, got ${describe(value)}`);
  if (number < min || number > max) fail(`integer ${number} out of range`);
  return number;
}

function longFromJson(value: unknown, unsigned: boolean): LongBits {
  let big: bigint;
  if (typeof value === 'bigint') {
    big = value;
  } else if (typeof value === 'number') {
    if (!Number.isInteger(value)) fail(`expected an integer, got ${describe(value)}`);
    // JSON.parse has already rounded it; the caller parses the text again, keeping it exact.
    if (!Number.isSafeInteger(value)) throw new InexactIntegerError();
    big = BigInt(value);
  } else if (typeof value === 'string' && /^-?\d+$/.test(value)) {
    big = BigInt(value);
  } else {
    return fail(`expected an integer or a decimal string, got ${describe(value)}`);
  }
  if (unsigned ? !isUint64(big) : !isInt64(big)) fail(`integer ${big} out of range`);
  return bigintToBits(big, unsigned);
}

/** Converts a protobufjs message (decoded or built) into an OTLP/JSON object, omitting defaults. */
export function messageToJson(type: protobuf.Type, message: Message): JsonObject {
  const json: JsonObject = {};
  for (const field of type.fieldsArray) {
    const value = message[field.name];
    if (value === null || value === undefined) continue;
    if (field.repeated) {
      const values = value as unknown[];
      if (values.length === 0) continue;
      const converted = new Array<unknown>(values.length);
      for (let index = 0; index < values.length; index++) converted[index] = valueToJson(field, values[index]);
      json[field.name] = converted;
      continue;
    }
    if (field.partOf) {
      // A oneof member (or proto3 `optional`) is present when set, even at its default value.
      if (!Object.prototype.hasOwnProperty.call(message, field.name)) continue;
    } else if (isDefault(field, value)) {
      continue;
    }
    json[field.name] = valueToJson(field, value);
  }
  return json;
}

function isDefault(field: protobuf.Field, value: unknown): boolean {
  if (field.resolvedType instanceof protobuf.Type) return false;
  switch (typeof value) {
    case 'number':
      return value === 0 && !Object.is(value, -0);
    case 'string':
      return value === '';
    case 'boolean':
      return !value;
    case 'bigint':
      return value === 0n;
    case 'object': {
      if (value instanceof Uint8Array || Array.isArray(value)) return (value as ArrayLike<unknown>).length === 0;
      const bits = value as LongBits;
      return (bits.low | 0) === 0 && (bits.high | 0) === 0;
    }
    default:
      return false;
  }
}

function valueToJson(field: protobuf.Field, value: unknown): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return messageToJson(resolved, value as Message);
  if (resolved instanceof protobuf.Enum) return value;
  switch (field.type) {
    case 'bytes': {
      const bytes = value as Uint8Array;
      return hexIdFields.has(field.name) ? bytesToHex(bytes) : asBuffer(toUint8Array(bytes)).toString('base64');
    }
    case 'double':
    case 'float': {
      const number = value as number;
      if (Number.isFinite(number)) return number;
      return Number.isNaN(number) ? 'NaN' : number > 0 ? 'Infinity' : '-Infinity';
    }
    default:
      if (longTypes.has(field.type)) return bitsToBigint(value, unsignedLongTypes.has(field.type)).toString();
      return value;
  }
}

function toUint8Array(value: Uint8Array | number[]): Uint8Array {
  return value instanceof Uint8Array ? value : Uint8Array.from(value);
}
