import { contentText, joinTexts, partText, toolCallPlaceholder, toolResultText } from './content-text.js';
import type { InteractionMessage } from './interaction.js';
import { parseLenientJson } from './lenient-json.js';
import { isRecord, maximumDepth, stringField } from './plain-value.js';

/**
 * Normalises a list of messages in any known shape: semconv ChatMessage `{role, parts}`, OpenAI
 * chat `{role, content, tool_calls}`, Responses API input items, Vercel AI SDK messages,
 * Python-repr strings. A JSON (or JSON-ish) string is parsed first; a string that is not becomes
 * one message with `defaultRole`. Messages without any text are dropped.
 */
export function toChatMessages(value: unknown, defaultRole: string, depth = 0): InteractionMessage[] {
  if (depth > maximumDepth) return [];
  if (typeof value === 'string') {
    const parsed = parseLenientJson(value);
    if (Array.isArray(parsed) || isRecord(parsed)) return toChatMessages(parsed, defaultRole, depth + 1);
    return textMessage(defaultRole, value);
  }
  if (Array.isArray(value)) return value.flatMap((item) => toChatMessages(item, defaultRole, depth + 1));
  if (isRecord(value)) {
    if (Array.isArray(value.messages) && value.role === undefined) {
      return toChatMessages(value.messages, defaultRole, depth + 1);
    }
    const message = toChatMessage(value, defaultRole, depth + 1);
    return message ? [message] : [];
  }
  if (typeof value === 'number' || typeof value === 'boolean') return textMessage(defaultRole, String(value));
  return [];
}

function textMessage(role: string, text: string): InteractionMessage[] {
  return text.trim() === '' ? [] : [{ role, text }];
}

/** One message object, or undefined when it carries no text at all. */
export function toChatMessage(
  item: Record<string, unknown>,
  defaultRole: string,
  depth = 0,
): InteractionMessage | undefined {
  const type = typeof item.type === 'string' ? item.type : undefined;
  let role = normaliseRole(stringField(item, 'role') ?? roleOfItemType(type) ?? defaultRole);
  const texts: string[] = [];
  if (Array.isArray(item.parts)) {
    texts.push(contentText(item.parts, depth + 1));
    // A semconv message holding only tool results is the tool's turn, whatever role the producer chose.
    if (item.parts.length > 0 && item.parts.every(isToolResultPart)) role = 'tool';
  } else if (type !== undefined && item.role === undefined && type !== 'message') {
    texts.push(partText(item, depth + 1));
  } else if ('content' in item) {
    texts.push(role === 'tool' ? toolResultText(item.content, depth + 1) : contentText(item.content, depth + 1));
  } else if (typeof item.text === 'string') {
    texts.push(item.text);
  }
  if (Array.isArray(item.tool_calls)) {
    for (const call of item.tool_calls) if (isRecord(call)) texts.push(toolCallPlaceholder(call));
  }
  if (isRecord(item.function_call)) texts.push(toolCallPlaceholder(item.function_call));
  const text = joinTexts(texts);
  return text === '' ? undefined : { role, text };
}

function isToolResultPart(part: unknown): boolean {
  return (
    isRecord(part) &&
    (part.type === 'tool_call_response' || part.type === 'tool-result' || part.type === 'function_call_output')
  );
}

function roleOfItemType(type: string | undefined): string | undefined {
  switch (type) {
    case 'function_call':
    case 'custom_tool_call':
    case 'reasoning':
    case 'web_search_call':
    case 'file_search_call':
    case 'computer_call':
      return 'assistant';
    case 'function_call_output':
    case 'custom_tool_call_output':
    case 'computer_call_output':
      return 'tool';
    default:
      return undefined;
  }
}

/** Lower-case role names; `human`/`ai` and similar aliases map to the semconv roles. */
export function normaliseRole(role: string): string {
  const lower = role.trim().toLowerCase();
  switch (lower) {
    case 'human':
      return 'user';
    case 'ai':
    case 'model':
    case 'bot':
      return 'assistant';
    case 'function':
      return 'tool';
    default:
      return lower === '' ? 'user' : lower;
  }
}
