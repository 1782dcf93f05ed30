import type { AnyValue, KeyValue } from './any-value.js';
import type { InstrumentationScope, Resource } from './resource.js';

export interface LogRecord {
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityNumber: number;
  severityText: string;
  body: AnyValue;
  attributes: KeyValue[];
  droppedAttributesCount: number;
  flags: number;
  /** Lower-case hex, empty when the record is not tied to a span. */
  traceId: string;
  spanId: string;
  /** OTLP `event_name` (field 12); older senders use the `event.name` attribute instead. */
  eventName: string;
}

export interface ScopeLogs {
  scope: InstrumentationScope;
  logRecords: LogRecord[];
  schemaUrl: string;
}

export interface ResourceLogs {
  resource: Resource;
  scopeLogs: ScopeLogs[];
  schemaUrl: string;
}

/** One ExportLogsServiceRequest's worth of log records. */
export interface Logs {
  resourceLogs: ResourceLogs[];
}

export function countLogRecords(logs: Logs): number {
  let count = 0;
  for (const resourceLogs of logs.resourceLogs) {
    for (const scopeLogs of resourceLogs.scopeLogs) count += scopeLogs.logRecords.length;
  }
  return count;
}

export function createLogRecord(fields: Partial<LogRecord> = {}): LogRecord {
  return {
    timeUnixNano: 0n,
    observedTimeUnixNano: 0n,
    severityNumber: 0,
    severityText: '',
    body: undefined,
    attributes: [],
    droppedAttributesCount: 0,
    flags: 0,
    traceId: '',
    spanId: '',
    eventName: '',
    ...fields,
  };
}
