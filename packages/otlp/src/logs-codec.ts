import type { LogRecord, Logs, ResourceLogs, ScopeLogs } from '@semtel/pdata';
import {
  anyValueFromMessage,
  anyValueToMessage,
  keyValuesFromMessages,
  keyValuesToMessages,
} from './any-value-message.js';
import { located, withLocation } from './codec-error.js';
import type { Encoding } from './encoding.js';
import { bytesToHex, hexToBytes } from './hex.js';
import { bigintToBits, bitsToBigint } from './long-bits.js';
import type { LogRecordMessage, ResourceLogsMessage, ScopeLogsMessage } from './message-types.js';
import { protoTypes } from './proto-types.js';
import { decodeMessage, encodeMessage } from './request-body.js';
import { resourceFromMessage, resourceToMessage, scopeFromMessage, scopeToMessage } from './resource-message.js';

/** Decodes an ExportLogsServiceRequest body. */
export function decodeLogs(body: Uint8Array, encoding: Encoding): Logs {
  const request = decodeMessage(protoTypes.exportLogsServiceRequest, body, encoding);
  const messages = (request.resourceLogs ?? []) as ResourceLogsMessage[];
  return { resourceLogs: messages.map(resourceLogsFromMessage) };
}

/** Encodes an ExportLogsServiceRequest body. */
export function encodeLogs(logs: Logs, encoding: Encoding): Uint8Array {
  const resourceLogs = new Array<ResourceLogsMessage>(logs.resourceLogs.length);
  for (let index = 0; index < logs.resourceLogs.length; index++) {
    resourceLogs[index] = resourceLogsToMessage(logs.resourceLogs[index] as ResourceLogs, index);
  }
  return encodeMessage(protoTypes.exportLogsServiceRequest, { resourceLogs }, encoding);
}

function resourceLogsFromMessage(message: ResourceLogsMessage): ResourceLogs {
  return {
    resource: resourceFromMessage(message.resource),
    scopeLogs: (message.scopeLogs ?? []).map(scopeLogsFromMessage),
    schemaUrl: message.schemaUrl ?? '',
  };
}

function scopeLogsFromMessage(message: ScopeLogsMessage): ScopeLogs {
  return {
    scope: scopeFromMessage(message.scope),
    logRecords: (message.logRecords ?? []).map(logRecordFromMessage),
    schemaUrl: message.schemaUrl ?? '',
  };
}

function logRecordFromMessage(message: LogRecordMessage): LogRecord {
  return {
    timeUnixNano: bitsToBigint(message.timeUnixNano, true),
    observedTimeUnixNano: bitsToBigint(message.observedTimeUnixNano, true),
    severityNumber: message.severityNumber ?? 0,
    severityText: message.severityText ?? '',
    body: anyValueFromMessage(message.body),
    attributes: keyValuesFromMessages(message.attributes),
    droppedAttributesCount: message.droppedAttributesCount ?? 0,
    flags: (message.flags ?? 0) >>> 0,
    traceId: bytesToHex(message.traceId),
    spanId: bytesToHex(message.spanId),
    eventName: message.eventName ?? '',
  };
}

function resourceLogsToMessage(resourceLogs: ResourceLogs, resourceIndex: number): ResourceLogsMessage {
  const location = `resourceLogs[${resourceIndex}]`;
  const message: ResourceLogsMessage = {};
  message.resource = withLocation(location, () => resourceToMessage(resourceLogs.resource));
  const scopeLogs = new Array<ScopeLogsMessage>(resourceLogs.scopeLogs.length);
  for (let scopeIndex = 0; scopeIndex < scopeLogs.length; scopeIndex++) {
    const source = resourceLogs.scopeLogs[scopeIndex] as ScopeLogs;
    const scopeMessage: ScopeLogsMessage = {};
    scopeMessage.scope = withLocation(`${location}.scopeLogs[${scopeIndex}]`, () => scopeToMessage(source.scope));
    const records = new Array<LogRecordMessage>(source.logRecords.length);
    for (let recordIndex = 0; recordIndex < records.length; recordIndex++) {
      try {
        records[recordIndex] = logRecordToMessage(source.logRecords[recordIndex] as LogRecord);
      } catch (error) {
        throw located(`${location}.scopeLogs[${scopeIndex}].logRecords[${recordIndex}]`, error);
      }
    }
    scopeMessage.logRecords = records;
    if (source.schemaUrl) scopeMessage.schemaUrl = source.schemaUrl;
    scopeLogs[scopeIndex] = scopeMessage;
  }
  message.scopeLogs = scopeLogs;
  if (resourceLogs.schemaUrl) message.schemaUrl = resourceLogs.schemaUrl;
  return message;
}

function logRecordToMessage(record: LogRecord): LogRecordMessage {
  const message: LogRecordMessage = {};
  if (record.timeUnixNano) message.timeUnixNano = bigintToBits(record.timeUnixNano, true);
  if (record.observedTimeUnixNano) message.observedTimeUnixNano = bigintToBits(record.observedTimeUnixNano, true);
  if (record.severityNumber) message.severityNumber = record.severityNumber;
  if (record.severityText) message.severityText = record.severityText;
  // An empty body is the same as no body on the wire, so it is left out.
  if (record.body !== undefined) message.body = anyValueToMessage(record.body);
  if (record.attributes.length > 0) message.attributes = keyValuesToMessages(record.attributes);
  if (record.droppedAttributesCount) message.droppedAttributesCount = record.droppedAttributesCount;
  if (record.flags) message.flags = record.flags >>> 0;
  if (record.traceId) message.traceId = hexToBytes(record.traceId, 'traceId');
  if (record.spanId) message.spanId = hexToBytes(record.spanId, 'spanId');
  if (record.eventName) message.eventName = record.eventName;
  return message;
}
