import type { Span } from '@semtel/pdata';
import { getAttribute, getStringAttribute } from '@semtel/pdata';
import { normaliseRole } from './chat-messages.js';
import { contentText, joinTexts, partText } from './content-text.js';
import type { InteractionContent, InteractionMessage } from './interaction.js';
import { isRecord, plainValue, stringField } from './plain-value.js';
import { requestContent, responseMessages } from './request-content.js';
import { unflattenAttributes } from './unflatten-attributes.js';

/**
 * OpenInference: flattened `llm.input_messages.{i}.message.*` / `llm.output_messages.{i}.message.*`
 * (text content, multimodal `contents.{j}.message_content.*`, tool calls), the legacy
 * `llm.prompts` / `llm.choices`, and, when no messages are flattened, the generic `input.value` /
 * `output.value` (JSON request/response bodies or plain text).
 */
export function extractOpenInference(span: Span): InteractionContent | undefined {
  const systemInstructions: string[] = [];
  let messages = openInferenceMessages(unflattenAttributes(span.attributes, 'llm.input_messages'), 'user');
  let output = openInferenceMessages(unflattenAttributes(span.attributes, 'llm.output_messages'), 'assistant');
  if (messages.length === 0)
    messages = legacyTexts(unflattenAttributes(span.attributes, 'llm.prompts'), 'prompt', 'user');
  if (output.length === 0) {
    output = legacyTexts(unflattenAttributes(span.attributes, 'llm.choices'), 'completion', 'assistant');
  }
  if (messages.length === 0) {
    const input = plainValue(getAttribute(span.attributes, 'input.value'));
    if (input !== undefined) {
      if (isPlainText(input, getStringAttribute(span.attributes, 'input.mime_type'))) {
        messages = textMessages('user', input);
      } else {
        const request = requestContent(input);
        systemInstructions.push(...request.systemInstructions);
        messages = request.messages;
      }
    }
  }
  if (output.length === 0) {
    const value = plainValue(getAttribute(span.attributes, 'output.value'));
    if (value !== undefined) {
      output = isPlainText(value, getStringAttribute(span.attributes, 'output.mime_type'))
        ? textMessages('assistant', value)
        : responseMessages(value);
    }
  }
  if (systemInstructions.length === 0 && messages.length === 0 && output.length === 0) return undefined;
  return { systemInstructions, messages, output };
}

/** `text/plain` values are taken as text even when they happen to look like JSON. */
function isPlainText(value: unknown, mimeType: string | undefined): value is string {
  return typeof value === 'string' && (mimeType?.toLowerCase().startsWith('text/plain') ?? false);
}

function textMessages(role: string, text: string): InteractionMessage[] {
  return text.trim() === '' ? [] : [{ role, text }];
}

function openInferenceMessages(entries: readonly unknown[], defaultRole: string): InteractionMessage[] {
  const messages: InteractionMessage[] = [];
  for (const entry of entries) {
    const message = isRecord(entry) && isRecord(entry.message) ? entry.message : undefined;
    if (!message) continue;
    const role = normaliseRole(stringField(message, 'role') ?? defaultRole);
    const texts: string[] = [];
    if (message.content !== undefined) texts.push(contentText(message.content));
    if (Array.isArray(message.contents)) {
      for (const content of message.contents) {
        if (isRecord(content) && isRecord(content.message_content))
          texts.push(messageContentText(content.message_content));
      }
    }
    if (Array.isArray(message.tool_calls)) {
      for (const call of message.tool_calls) {
        const toolCall = isRecord(call) && isRecord(call.tool_call) ? call.tool_call : undefined;
        if (toolCall) texts.push(partText({ ...toolCall, type: 'tool_call' }));
      }
    }
    const functionName = stringField(message, 'function_call_name');
    if (functionName) texts.push(`[tool_call ${functionName}]`);
    const text = joinTexts(texts);
    if (text !== '') messages.push({ role, text });
  }
  return messages;
}

function messageContentText(content: Record<string, unknown>): string {
  const type = stringField(content, 'type') ?? 'text';
  if (type === 'tool_use') return partText({ ...content, type: 'tool_call' });
  return partText({ ...content, type });
}

function legacyTexts(entries: readonly unknown[], field: string, role: string): InteractionMessage[] {
  return entries.flatMap((entry) => {
    const value = isRecord(entry) ? (isRecord(entry[field]) ? entry[field].text : entry[field]) : entry;
    return typeof value === 'string' && value.trim() !== '' ? [{ role, text: value }] : [];
  });
}
