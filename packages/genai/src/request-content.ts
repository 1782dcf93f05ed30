import { toChatMessages } from './chat-messages.js';
import { contentText, safeStringify } from './content-text.js';
import type { InteractionMessage } from './interaction.js';
import { parseLenientJson } from './lenient-json.js';
import { isRecord } from './plain-value.js';

export interface RequestContent {
  systemInstructions: string[];
  messages: InteractionMessage[];
}

/** Parses a JSON(-ish) string, keeping the raw text when it is not JSON. */
export function parseOrText(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const parsed = parseLenientJson(value);
  return parsed === undefined ? value : parsed;
}

/**
 * The input of a whole request, as generic I/O attributes record it (OpenInference `input.value`,
 * Langfuse `observation.input`): an OpenAI chat or Responses request body, a message list, a
 * single message, or plain text. Anything else is kept as JSON text so no input is lost.
 */
export function requestContent(value: unknown): RequestContent {
  const parsed = parseOrText(value);
  const systemInstructions: string[] = [];
  if (isRecord(parsed) && parsed.role === undefined) {
    const instructions = parsed.instructions ?? parsed.system;
    if (instructions !== undefined) pushText(systemInstructions, contentText(instructions));
    const messages = [
      ...toChatMessages(parsed.messages ?? [], 'user'),
      ...toChatMessages(parsed.input ?? [], 'user'),
      ...toChatMessages(parsed.prompt ?? [], 'user'),
    ];
    if (messages.length > 0 || systemInstructions.length > 0) return { systemInstructions, messages };
    return { systemInstructions, messages: fallbackMessages(parsed, 'user') };
  }
  const messages = toChatMessages(parsed, 'user');
  return { systemInstructions, messages: messages.length > 0 ? messages : fallbackMessages(parsed, 'user') };
}

/**
 * The output of a whole response: an OpenAI chat completion (`choices`), a Responses API object
 * (`output`), a message or message list, or plain text.
 */
export function responseMessages(value: unknown): InteractionMessage[] {
  const parsed = parseOrText(value);
  if (isRecord(parsed) && parsed.role === undefined) {
    if (Array.isArray(parsed.choices)) {
      return parsed.choices.flatMap((choice) => {
        if (!isRecord(choice)) return [];
        if (isRecord(choice.message)) return toChatMessages(choice.message, 'assistant');
        return toChatMessages(choice.text ?? choice.delta ?? [], 'assistant');
      });
    }
    if (Array.isArray(parsed.output)) return toChatMessages(parsed.output, 'assistant');
    if (typeof parsed.output_text === 'string') return toChatMessages(parsed.output_text, 'assistant');
    if (Array.isArray(parsed.messages)) return toChatMessages(parsed.messages, 'assistant');
  }
  const messages = toChatMessages(parsed, 'assistant');
  return messages.length > 0 ? messages : fallbackMessages(parsed, 'assistant');
}

function fallbackMessages(value: unknown, role: string): InteractionMessage[] {
  if (value === undefined || value === null) return [];
  const text = typeof value === 'string' ? value : safeStringify(value);
  if (text.trim() === '' || text === '{}' || text === '[]') return [];
  return [{ role, text }];
}

function pushText(target: string[], text: string): void {
  if (text.trim() !== '') target.push(text);
}
