export type { AnyValue, KeyValue, KeyValueList } from './any-value.js';
export { isKeyValueList, kvlist } from './any-value.js';
export {
  fromPlain,
  getAttribute,
  getNumberAttribute,
  getStringAttribute,
  hasAttribute,
  removeAttribute,
  setAttribute,
  toPlain,
} from './attributes.js';
export type { EntityRef, InstrumentationScope, Resource } from './resource.js';
export { createResource, createScope } from './resource.js';
export type { ResourceSpans, ScopeSpans, Span, SpanEvent, SpanLink, Status, Traces } from './traces.js';
export { countSpans, createSpan, SpanKind, StatusCode } from './traces.js';
export type { LogRecord, Logs, ResourceLogs, ScopeLogs } from './logs.js';
export { countLogRecords, createLogRecord } from './logs.js';
export type { Metrics } from './metrics.js';
export { countDataPoints } from './metrics.js';
