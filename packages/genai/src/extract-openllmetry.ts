import type { Span } from '@semtel/pdata';
import { toChatMessage } from './chat-messages.js';
import type { InteractionContent, InteractionMessage } from './interaction.js';
import { parseLenientJson } from './lenient-json.js';
import { isRecord } from './plain-value.js';
import { unflattenAttributes } from './unflatten-attributes.js';

/**
 * OpenLLMetry's legacy flattened form: `gen_ai.prompt.{i}.role|content|tool_calls.{j}.*` and
 * `gen_ai.completion.{i}.role|content|finish_reason|function_call.*|tool_calls.{j}.*`.
 */
export function extractOpenLlmetry(span: Span): InteractionContent | undefined {
  const prompts = unflattenAttributes(span.attributes, 'gen_ai.prompt');
  const completions = unflattenAttributes(span.attributes, 'gen_ai.completion');
  if (prompts.length === 0 && completions.length === 0) return undefined;
  return {
    systemInstructions: [],
    messages: flattenedMessages(prompts, 'user'),
    output: flattenedMessages(completions, 'assistant'),
  };
}

function flattenedMessages(entries: readonly unknown[], defaultRole: string): InteractionMessage[] {
  const messages: InteractionMessage[] = [];
  for (const entry of entries) {
    if (!isRecord(entry)) continue;
    const message = toChatMessage({ ...entry, content: flattenedContent(entry.content) }, defaultRole);
    if (message) messages.push(message);
  }
  return messages;
}

/** Content is text, or a JSON string of parts for multimodal input; `"null"` is what a null content serialises to. */
function flattenedContent(content: unknown): unknown {
  if (typeof content !== 'string') return content;
  if (content === 'null') return undefined;
  if (!content.trimStart().startsWith('[')) return content;
  const parsed = parseLenientJson(content);
  return Array.isArray(parsed) && parsed.every((part) => isRecord(part) && typeof part.type === 'string')
    ? parsed
    : content;
}
