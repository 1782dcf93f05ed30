import type { KeyValue, LogRecord, Span } from '@semtel/pdata';
import { contentEventNames, logRecordEventName } from './gen-ai-events.js';

const contentAttributeKeys = new Set([
  'gen_ai.input.messages',
  'gen_ai.output.messages',
  'gen_ai.system_instructions',
  'gen_ai.tool.definitions',
  'gen_ai.prompt',
  'gen_ai.completion',
  'gen_ai.tool.call.arguments',
  'gen_ai.tool.call.result',
  'input.value',
  'output.value',
  'ai.prompt',
  'ai.prompt.messages',
  'ai.response.text',
  'ai.response.object',
  'ai.response.toolCalls',
  'ai.result.text',
  'ai.result.object',
  'ai.toolCall.args',
  'ai.toolCall.result',
  'langfuse.observation.input',
  'langfuse.observation.output',
  'langfuse.trace.input',
  'langfuse.trace.output',
  'traceloop.entity.input',
  'traceloop.entity.output',
]);

/** Flattened content: `gen_ai.prompt.0.content`, `llm.input_messages.0.message.content`, … */
const contentKeyPattern =
  /^(?:gen_ai\.(?:prompt|completion)\.\d+\.|llm\.(?:input|output)_messages\.\d+\.|llm\.prompts\.\d+)/;

function isContentKey(key: string): boolean {
  return contentAttributeKeys.has(key) || contentKeyPattern.test(key);
}

function stripAttributes(attributes: KeyValue[]): number {
  const before = attributes.length;
  let write = 0;
  for (const attribute of attributes) if (!isContentKey(attribute.key)) attributes[write++] = attribute;
  attributes.length = write;
  return before - write;
}

/**
 * Removes raw conversation content from a span, in every convention semtel reads: content
 * attributes, and content events (whose attributes are the content). Identifiers, models,
 * token counts and semtel's labels stay. Returns how many attributes and events went.
 */
export function stripSpanContent(span: Span): number {
  let removed = stripAttributes(span.attributes);
  const events = span.events.filter((event) => !contentEventNames.has(event.name));
  removed += span.events.length - events.length;
  span.events = events;
  return removed;
}

/** True for a log record that carries GenAI content (an event semtel joins to its span). */
export function isGenAiContentLogRecord(record: LogRecord): boolean {
  return contentEventNames.has(logRecordEventName(record));
}

/**
 * A copy of a GenAI content log record without its content: the body goes and content
 * attributes go; the event name, ids, times and severity stay, so the record still says what happened.
 */
export function strippedLogRecord(record: LogRecord): LogRecord {
  const attributes = [...record.attributes];
  stripAttributes(attributes);
  return { ...record, body: undefined, attributes };
}
