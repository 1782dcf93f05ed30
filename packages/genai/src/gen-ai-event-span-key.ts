import type { LogRecord } from '@semtel/pdata';
import { contentEventNames, logRecordEventName } from './gen-ai-events.js';

/**
 * `${traceId}:${spanId}` for a log record that is a GenAI content event of a span (per-message
 * events, `gen_ai.choice`, `gen_ai.client.inference.operation.details`, the ≤1.27
 * `gen_ai.content.*`), else undefined. Events are keyed by name even when they carry no content
 * (capture off): joining them is harmless, and content cannot be judged before the join.
 */
export function genAiEventSpanKey(record: LogRecord): string | undefined {
  if (record.traceId === '' || record.spanId === '') return undefined;
  if (!contentEventNames.has(logRecordEventName(record))) return undefined;
  return `${record.traceId.toLowerCase()}:${record.spanId.toLowerCase()}`;
}

/** The same key for a span, to look up the events joined to it. */
export function spanEventKey(span: { traceId: string; spanId: string }): string {
  return `${span.traceId.toLowerCase()}:${span.spanId.toLowerCase()}`;
}
