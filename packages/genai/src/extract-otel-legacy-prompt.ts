import type { Span } from '@semtel/pdata';
import { getAttribute } from '@semtel/pdata';
import { toChatMessages } from './chat-messages.js';
import type { GenAiEvent } from './gen-ai-events.js';
import { legacyCompletionEventName, legacyPromptEventName } from './gen-ai-events.js';
import type { InteractionContent } from './interaction.js';
import { plainValue } from './plain-value.js';

/**
 * OTel GenAI semconv ≤1.27: `gen_ai.prompt` / `gen_ai.completion` as span attributes or on
 * `gen_ai.content.prompt` / `gen_ai.content.completion` events, as JSON-ish strings (often Python
 * reprs). Unparseable text becomes a single user or assistant message.
 */
export function extractOtelLegacyPrompt(span: Span, events: readonly GenAiEvent[]): InteractionContent | undefined {
  const prompt =
    plainValue(getAttribute(span.attributes, 'gen_ai.prompt')) ??
    events.find((event) => event.name === legacyPromptEventName)?.fields['gen_ai.prompt'];
  const completion =
    plainValue(getAttribute(span.attributes, 'gen_ai.completion')) ??
    events.find((event) => event.name === legacyCompletionEventName)?.fields['gen_ai.completion'];
  if (prompt === undefined && completion === undefined) return undefined;
  return {
    systemInstructions: [],
    messages: toChatMessages(prompt ?? [], 'user'),
    output: toChatMessages(completion ?? [], 'assistant'),
  };
}
