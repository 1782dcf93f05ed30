import type { KeyValue, LogRecord, Span } from '@semtel/pdata';
import { getStringAttribute } from '@semtel/pdata';
import { parseLenientJson } from './lenient-json.js';
import { isRecord, plainValue } from './plain-value.js';

/** A GenAI event, from a span event or a joined log record, with body fields and attributes merged. */
export interface GenAiEvent {
  name: string;
  time: bigint;
  fields: Record<string, unknown>;
}

export const messageEventNames = new Set([
  'gen_ai.system.message',
  'gen_ai.user.message',
  'gen_ai.assistant.message',
  'gen_ai.tool.message',
  'gen_ai.choice',
]);
export const operationDetailsEventName = 'gen_ai.client.inference.operation.details';
export const legacyPromptEventName = 'gen_ai.content.prompt';
export const legacyCompletionEventName = 'gen_ai.content.completion';

/** Every event name whose content extractInteraction reads; evaluation results are output, never joined. */
export const contentEventNames = new Set([
  ...messageEventNames,
  operationDetailsEventName,
  legacyPromptEventName,
  legacyCompletionEventName,
]);

/** OTLP `event_name` first; older senders only set the `event.name` attribute. */
export function logRecordEventName(record: LogRecord): string {
  return record.eventName !== '' ? record.eventName : (getStringAttribute(record.attributes, 'event.name') ?? '');
}

function fieldsOf(attributes: readonly KeyValue[], body: unknown): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const attribute of attributes) {
    if (attribute.key === 'event.name') continue;
    fields[attribute.key] = plainValue(attribute.value);
  }
  // Some producers put the event body into one JSON attribute instead of the log body.
  const packed = fields['gen_ai.event.content'];
  if (typeof packed === 'string') {
    const parsed = parseLenientJson(packed);
    if (isRecord(parsed)) Object.assign(fields, parsed);
  }
  if (isRecord(body)) Object.assign(fields, body);
  else if (typeof body === 'string' && body !== '' && fields.content === undefined) fields.content = body;
  return fields;
}

/**
 * The span's GenAI content events in time order. Joined log records win over span events of the
 * same kind: SDKs bridging log-based events onto spans would otherwise count every message twice.
 */
export function collectGenAiEvents(span: Span, joinedEvents: readonly LogRecord[] | undefined): GenAiEvent[] {
  const fromLogs: GenAiEvent[] = [];
  for (const record of joinedEvents ?? []) {
    const name = logRecordEventName(record);
    if (!contentEventNames.has(name)) continue;
    const time = record.timeUnixNano !== 0n ? record.timeUnixNano : record.observedTimeUnixNano;
    fromLogs.push({ name, time, fields: fieldsOf(record.attributes, plainValue(record.body)) });
  }
  const fromSpan: GenAiEvent[] = [];
  for (const event of span.events) {
    if (!contentEventNames.has(event.name)) continue;
    fromSpan.push({ name: event.name, time: event.timeUnixNano, fields: fieldsOf(event.attributes, undefined) });
  }
  const logKinds = new Set(fromLogs.map((event) => eventKind(event.name)));
  const events = [...fromLogs, ...fromSpan.filter((event) => !logKinds.has(eventKind(event.name)))];
  // Stable: records sharing a timestamp keep their arrival order.
  return events.sort((left, right) => (left.time < right.time ? -1 : left.time > right.time ? 1 : 0));
}

function eventKind(name: string): string {
  if (messageEventNames.has(name)) return 'message';
  if (name === operationDetailsEventName) return 'details';
  return 'legacy';
}
