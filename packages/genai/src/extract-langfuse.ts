import type { Span } from '@semtel/pdata';
import { getAttribute } from '@semtel/pdata';
import type { InteractionContent } from './interaction.js';
import { plainValue } from './plain-value.js';
import { requestContent, responseMessages } from './request-content.js';

/**
 * Langfuse SDK: `langfuse.observation.input` / `.output` (JSON strings of whatever the caller
 * passed: message lists, request-like objects, plain text), falling back to the trace-level
 * `langfuse.trace.input` / `.output` on root spans.
 */
export function extractLangfuse(span: Span): InteractionContent | undefined {
  const value = (key: string): unknown => plainValue(getAttribute(span.attributes, key));
  const input = value('langfuse.observation.input') ?? value('langfuse.trace.input');
  const output = value('langfuse.observation.output') ?? value('langfuse.trace.output');
  if (input === undefined && output === undefined) return undefined;
  const request = input === undefined ? { systemInstructions: [], messages: [] } : requestContent(input);
  return {
    systemInstructions: request.systemInstructions,
    messages: request.messages,
    output: output === undefined ? [] : responseMessages(output),
  };
}
