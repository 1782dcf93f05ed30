import { toChatMessage } from './chat-messages.js';
import type { GenAiEvent } from './gen-ai-events.js';
import type { InteractionContent, InteractionMessage } from './interaction.js';
import { isRecord } from './plain-value.js';

const eventRoles: Record<string, string> = {
  'gen_ai.system.message': 'system',
  'gen_ai.user.message': 'user',
  'gen_ai.assistant.message': 'assistant',
  'gen_ai.tool.message': 'tool',
};

/**
 * OTel GenAI semconv 1.28–1.36: one `gen_ai.{system,user,assistant,tool}.message` event per
 * input message and one `gen_ai.choice` per output choice, as log records (content in the body)
 * or span events (content in attributes). Events without content (capture off) add nothing.
 */
export function extractOtelEvents(events: readonly GenAiEvent[]): InteractionContent | undefined {
  const messages: InteractionMessage[] = [];
  const choices: { index: number; message: InteractionMessage }[] = [];
  let seen = false;
  for (const event of events) {
    const role = eventRoles[event.name];
    if (role !== undefined) {
      seen = true;
      const message = toChatMessage(
        { role: event.fields.role ?? role, content: event.fields.content, tool_calls: event.fields.tool_calls },
        role,
      );
      if (message) messages.push(message);
    } else if (event.name === 'gen_ai.choice') {
      seen = true;
      const body = isRecord(event.fields.message) ? event.fields.message : {};
      const message = toChatMessage(
        {
          role: body.role ?? 'assistant',
          content: body.content ?? event.fields.content,
          tool_calls: body.tool_calls ?? event.fields.tool_calls,
        },
        'assistant',
      );
      const index = typeof event.fields.index === 'number' ? event.fields.index : choices.length;
      if (message) choices.push({ index, message });
    }
  }
  if (!seen) return undefined;
  // Stable sort: choices are reported per index, possibly out of order when streamed.
  choices.sort((left, right) => left.index - right.index);
  return { systemInstructions: [], messages, output: choices.map((choice) => choice.message) };
}
