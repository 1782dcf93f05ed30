import type { LongBits } from './long-bits.js';

/**
 * The shapes protobufjs decodes to and encodes from (camelCase field names). Decoded messages carry
 * defaults on their prototype; oneof members are own properties only when set.
 */
export type Bytes = Uint8Array;
export type Long64 = LongBits | number | bigint;

export interface AnyValueMessage {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: Long64;
  doubleValue?: number;
  arrayValue?: { values?: AnyValueMessage[] } | null;
  kvlistValue?: { values?: KeyValueMessage[] } | null;
  bytesValue?: Bytes;
}

export interface KeyValueMessage {
  key?: string;
  value?: AnyValueMessage | null;
}

export interface EntityRefMessage {
  schemaUrl?: string;
  type?: string;
  idKeys?: string[];
  descriptionKeys?: string[];
}

export interface ResourceMessage {
  attributes?: KeyValueMessage[];
  droppedAttributesCount?: number;
  entityRefs?: EntityRefMessage[];
}

export interface ScopeMessage {
  name?: string;
  version?: string;
  attributes?: KeyValueMessage[];
  droppedAttributesCount?: number;
}

export interface EventMessage {
  timeUnixNano?: Long64;
  name?: string;
  attributes?: KeyValueMessage[];
  droppedAttributesCount?: number;
}

export interface LinkMessage {
  traceId?: Bytes;
  spanId?: Bytes;
  traceState?: string;
  attributes?: KeyValueMessage[];
  droppedAttributesCount?: number;
  flags?: number;
}

export interface SpanMessage {
  traceId?: Bytes;
  spanId?: Bytes;
  traceState?: string;
  parentSpanId?: Bytes;
  flags?: number;
  name?: string;
  kind?: number;
  startTimeUnixNano?: Long64;
  endTimeUnixNano?: Long64;
  attributes?: KeyValueMessage[];
  droppedAttributesCount?: number;
  events?: EventMessage[];
  droppedEventsCount?: number;
  links?: LinkMessage[];
  droppedLinksCount?: number;
  status?: { message?: string; code?: number } | null;
}

export interface ScopeSpansMessage {
  scope?: ScopeMessage | null;
  spans?: SpanMessage[];
  schemaUrl?: string;
}

export interface ResourceSpansMessage {
  resource?: ResourceMessage | null;
  scopeSpans?: ScopeSpansMessage[];
  schemaUrl?: string;
}

export interface LogRecordMessage {
  timeUnixNano?: Long64;
  observedTimeUnixNano?: Long64;
  severityNumber?: number;
  severityText?: string;
  body?: AnyValueMessage | null;
  attributes?: KeyValueMessage[];
  droppedAttributesCount?: number;
  flags?: number;
  traceId?: Bytes;
  spanId?: Bytes;
  eventName?: string;
}

export interface ScopeLogsMessage {
  scope?: ScopeMessage | null;
  logRecords?: LogRecordMessage[];
  schemaUrl?: string;
}

export interface ResourceLogsMessage {
  resource?: ResourceMessage | null;
  scopeLogs?: ScopeLogsMessage[];
  schemaUrl?: string;
}
