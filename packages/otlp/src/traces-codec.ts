import type { ResourceSpans, ScopeSpans, Span, SpanEvent, SpanLink, Traces } from '@semtel/pdata';
import { keyValuesFromMessages, keyValuesToMessages } from './any-value-message.js';
import { located, withLocation } from './codec-error.js';
import type { Encoding } from './encoding.js';
import { bytesToHex, hexToBytes } from './hex.js';
import { bigintToBits, bitsToBigint } from './long-bits.js';
import type {
  EventMessage,
  LinkMessage,
  ResourceSpansMessage,
  ScopeSpansMessage,
  SpanMessage,
} from './message-types.js';
import { protoTypes } from './proto-types.js';
import { decodeMessage, encodeMessage } from './request-body.js';
import { resourceFromMessage, resourceToMessage, scopeFromMessage, scopeToMessage } from './resource-message.js';

/** Decodes an ExportTraceServiceRequest body. */
export function decodeTraces(body: Uint8Array, encoding: Encoding): Traces {
  const request = decodeMessage(protoTypes.exportTraceServiceRequest, body, encoding);
  const messages = (request.resourceSpans ?? []) as ResourceSpansMessage[];
  return { resourceSpans: messages.map(resourceSpansFromMessage) };
}

/** Encodes an ExportTraceServiceRequest body. */
export function encodeTraces(traces: Traces, encoding: Encoding): Uint8Array {
  const resourceSpans = new Array<ResourceSpansMessage>(traces.resourceSpans.length);
  for (let index = 0; index < traces.resourceSpans.length; index++) {
    resourceSpans[index] = resourceSpansToMessage(traces.resourceSpans[index] as ResourceSpans, index);
  }
  return encodeMessage(protoTypes.exportTraceServiceRequest, { resourceSpans }, encoding);
}

function resourceSpansFromMessage(message: ResourceSpansMessage): ResourceSpans {
  return {
    resource: resourceFromMessage(message.resource),
    scopeSpans: (message.scopeSpans ?? []).map(scopeSpansFromMessage),
    schemaUrl: message.schemaUrl ?? '',
  };
}

function scopeSpansFromMessage(message: ScopeSpansMessage): ScopeSpans {
  const spans = message.spans ?? [];
  const result = new Array<Span>(spans.length);
  for (let index = 0; index < spans.length; index++) result[index] = spanFromMessage(spans[index] as SpanMessage);
  return { scope: scopeFromMessage(message.scope), spans: result, schemaUrl: message.schemaUrl ?? '' };
}

function spanFromMessage(message: SpanMessage): Span {
  const status = message.status;
  const events = message.events;
  const links = message.links;
  return {
    traceId: bytesToHex(message.traceId),
    spanId: bytesToHex(message.spanId),
    traceState: message.traceState ?? '',
    parentSpanId: bytesToHex(message.parentSpanId),
    flags: (message.flags ?? 0) >>> 0,
    name: message.name ?? '',
    kind: message.kind ?? 0,
    startTimeUnixNano: bitsToBigint(message.startTimeUnixNano, true),
    endTimeUnixNano: bitsToBigint(message.endTimeUnixNano, true),
    attributes: keyValuesFromMessages(message.attributes),
    droppedAttributesCount: message.droppedAttributesCount ?? 0,
    events: events && events.length > 0 ? events.map(eventFromMessage) : [],
    droppedEventsCount: message.droppedEventsCount ?? 0,
    links: links && links.length > 0 ? links.map(linkFromMessage) : [],
    droppedLinksCount: message.droppedLinksCount ?? 0,
    status: status ? { code: status.code ?? 0, message: status.message ?? '' } : { code: 0, message: '' },
  };
}

function eventFromMessage(message: EventMessage): SpanEvent {
  return {
    timeUnixNano: bitsToBigint(message.timeUnixNano, true),
    name: message.name ?? '',
    attributes: keyValuesFromMessages(message.attributes),
    droppedAttributesCount: message.droppedAttributesCount ?? 0,
  };
}

function linkFromMessage(message: LinkMessage): SpanLink {
  return {
    traceId: bytesToHex(message.traceId),
    spanId: bytesToHex(message.spanId),
    traceState: message.traceState ?? '',
    attributes: keyValuesFromMessages(message.attributes),
    droppedAttributesCount: message.droppedAttributesCount ?? 0,
    flags: (message.flags ?? 0) >>> 0,
  };
}

function resourceSpansToMessage(resourceSpans: ResourceSpans, resourceIndex: number): ResourceSpansMessage {
  const location = `resourceSpans[${resourceIndex}]`;
  const message: ResourceSpansMessage = {};
  message.resource = withLocation(location, () => resourceToMessage(resourceSpans.resource));
  const scopeSpans = new Array<ScopeSpansMessage>(resourceSpans.scopeSpans.length);
  for (let scopeIndex = 0; scopeIndex < scopeSpans.length; scopeIndex++) {
    const source = resourceSpans.scopeSpans[scopeIndex] as ScopeSpans;
    const scopeMessage: ScopeSpansMessage = {};
    scopeMessage.scope = withLocation(`${location}.scopeSpans[${scopeIndex}]`, () => scopeToMessage(source.scope));
    const spans = new Array<SpanMessage>(source.spans.length);
    for (let spanIndex = 0; spanIndex < spans.length; spanIndex++) {
      try {
        spans[spanIndex] = spanToMessage(source.spans[spanIndex] as Span);
      } catch (error) {
        throw located(`${location}.scopeSpans[${scopeIndex}].spans[${spanIndex}]`, error);
      }
    }
    scopeMessage.spans = spans;
    if (source.schemaUrl) scopeMessage.schemaUrl = source.schemaUrl;
    scopeSpans[scopeIndex] = scopeMessage;
  }
  message.scopeSpans = scopeSpans;
  if (resourceSpans.schemaUrl) message.schemaUrl = resourceSpans.schemaUrl;
  return message;
}

function spanToMessage(span: Span): SpanMessage {
  const message: SpanMessage = {};
  if (span.traceId) message.traceId = hexToBytes(span.traceId, 'traceId');
  if (span.spanId) message.spanId = hexToBytes(span.spanId, 'spanId');
  if (span.traceState) message.traceState = span.traceState;
  if (span.parentSpanId) message.parentSpanId = hexToBytes(span.parentSpanId, 'parentSpanId');
  if (span.flags) message.flags = span.flags >>> 0;
  if (span.name) message.name = span.name;
  if (span.kind) message.kind = span.kind;
  if (span.startTimeUnixNano) message.startTimeUnixNano = bigintToBits(span.startTimeUnixNano, true);
  if (span.endTimeUnixNano) message.endTimeUnixNano = bigintToBits(span.endTimeUnixNano, true);
  if (span.attributes.length > 0) message.attributes = keyValuesToMessages(span.attributes);
  if (span.droppedAttributesCount) message.droppedAttributesCount = span.droppedAttributesCount;
  if (span.events.length > 0) message.events = span.events.map(eventToMessage);
  if (span.droppedEventsCount) message.droppedEventsCount = span.droppedEventsCount;
  if (span.links.length > 0) message.links = span.links.map(linkToMessage);
  if (span.droppedLinksCount) message.droppedLinksCount = span.droppedLinksCount;
  if (span.status.code || span.status.message) {
    const status: { code?: number; message?: string } = {};
    if (span.status.message) status.message = span.status.message;
    if (span.status.code) status.code = span.status.code;
    message.status = status;
  }
  return message;
}

function eventToMessage(event: SpanEvent): EventMessage {
  const message: EventMessage = {};
  if (event.timeUnixNano) message.timeUnixNano = bigintToBits(event.timeUnixNano, true);
  if (event.name) message.name = event.name;
  if (event.attributes.length > 0) message.attributes = keyValuesToMessages(event.attributes);
  if (event.droppedAttributesCount) message.droppedAttributesCount = event.droppedAttributesCount;
  return message;
}

function linkToMessage(link: SpanLink): LinkMessage {
  const message: LinkMessage = {};
  if (link.traceId) message.traceId = hexToBytes(link.traceId, 'traceId');
  if (link.spanId) message.spanId = hexToBytes(link.spanId, 'spanId');
  if (link.traceState) message.traceState = link.traceState;
  if (link.attributes.length > 0) message.attributes = keyValuesToMessages(link.attributes);
  if (link.droppedAttributesCount) message.droppedAttributesCount = link.droppedAttributesCount;
  if (link.flags) message.flags = link.flags >>> 0;
  return message;
}
