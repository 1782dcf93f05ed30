import type { Span } from '@semtel/pdata';
import { getAttribute } from '@semtel/pdata';
import { toChatMessages } from './chat-messages.js';
import { contentText } from './content-text.js';
import type { GenAiEvent } from './gen-ai-events.js';
import { operationDetailsEventName } from './gen-ai-events.js';
import type { InteractionContent } from './interaction.js';
import { parseLenientJson } from './lenient-json.js';
import { plainValue } from './plain-value.js';

export const inputMessagesKey = 'gen_ai.input.messages';
export const outputMessagesKey = 'gen_ai.output.messages';
export const systemInstructionsKey = 'gen_ai.system_instructions';

/**
 * OTel GenAI semconv ≥1.37: `gen_ai.input.messages`, `gen_ai.output.messages` and
 * `gen_ai.system_instructions`, structured or as JSON strings, on the span or on
 * `gen_ai.client.inference.operation.details` events. The span wins per field; outputs from
 * several details events are concatenated because streaming producers emit one per output item.
 */
export function extractOtelLatest(span: Span, events: readonly GenAiEvent[]): InteractionContent | undefined {
  const details = events.filter((event) => event.name === operationDetailsEventName).map((event) => event.fields);
  const spanValue = (key: string): unknown => plainValue(getAttribute(span.attributes, key));
  const present = (value: unknown): boolean => value !== undefined && value !== null && value !== '';

  const spanSystem = spanValue(systemInstructionsKey);
  const system = present(spanSystem)
    ? spanSystem
    : details.map((fields) => fields[systemInstructionsKey]).find(present);
  const spanInput = spanValue(inputMessagesKey);
  const input = present(spanInput) ? spanInput : details.map((fields) => fields[inputMessagesKey]).find(present);
  const spanOutput = spanValue(outputMessagesKey);
  const outputs = present(spanOutput)
    ? [spanOutput]
    : details.map((fields) => fields[outputMessagesKey]).filter(present);
  if (!present(system) && !present(input) && outputs.length === 0) return undefined;
  return {
    systemInstructions: systemInstructionTexts(system),
    messages: toChatMessages(input ?? [], 'user'),
    output: outputs.flatMap((output) => toChatMessages(output, 'assistant')),
  };
}

/** An array of parts gives one instruction per part; a plain string (as some producers send) is one instruction. */
export function systemInstructionTexts(value: unknown): string[] {
  const parsed = typeof value === 'string' ? (parseLenientJson(value) ?? value) : value;
  const parts = Array.isArray(parsed) ? parsed : [parsed];
  return parts.map((part) => contentText(part)).filter((text) => text.trim() !== '');
}
