import type { KeyValue } from './any-value.js';
import type { InstrumentationScope, Resource } from './resource.js';

export const SpanKind = {
  UNSPECIFIED: 0,
  INTERNAL: 1,
  SERVER: 2,
  CLIENT: 3,
  PRODUCER: 4,
  CONSUMER: 5,
} as const;
/** Kept as a number: unknown enum values from newer senders must round-trip. */
export type SpanKind = number;

export const StatusCode = { UNSET: 0, OK: 1, ERROR: 2 } as const;
export type StatusCode = number;

export interface Status {
  code: StatusCode;
  message: string;
}

export interface SpanEvent {
  timeUnixNano: bigint;
  name: string;
  attributes: KeyValue[];
  droppedAttributesCount: number;
}

export interface SpanLink {
  /** Lower-case hex, any length: invalid ids from senders round-trip unchanged. */
  traceId: string;
  spanId: string;
  traceState: string;
  attributes: KeyValue[];
  droppedAttributesCount: number;
  flags: number;
}

export interface Span {
  /** Lower-case hex (32 chars when valid). */
  traceId: string;
  /** Lower-case hex (16 chars when valid). */
  spanId: string;
  traceState: string;
  /** Lower-case hex, empty for a root span. */
  parentSpanId: string;
  /** fixed32 as sent: W3C flags plus the is-remote bits; copied as-is. */
  flags: number;
  name: string;
  kind: SpanKind;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: KeyValue[];
  droppedAttributesCount: number;
  events: SpanEvent[];
  droppedEventsCount: number;
  links: SpanLink[];
  droppedLinksCount: number;
  status: Status;
}

export interface ScopeSpans {
  scope: InstrumentationScope;
  spans: Span[];
  schemaUrl: string;
}

export interface ResourceSpans {
  resource: Resource;
  scopeSpans: ScopeSpans[];
  schemaUrl: string;
}

/** One ExportTraceServiceRequest's worth of spans. */
export interface Traces {
  resourceSpans: ResourceSpans[];
}

export function countSpans(traces: Traces): number {
  let count = 0;
  for (const resourceSpans of traces.resourceSpans) {
    for (const scopeSpans of resourceSpans.scopeSpans) count += scopeSpans.spans.length;
  }
  return count;
}

export function createSpan(fields: Partial<Span> & Pick<Span, 'traceId' | 'spanId' | 'name'>): Span {
  return {
    traceState: '',
    parentSpanId: '',
    flags: 0,
    kind: SpanKind.INTERNAL,
    startTimeUnixNano: 0n,
    endTimeUnixNano: 0n,
    attributes: [],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: StatusCode.UNSET, message: '' },
    ...fields,
  };
}
