import type { Span } from '@semtel/pdata';
import { getAttribute } from '@semtel/pdata';
import { toChatMessages } from './chat-messages.js';
import { joinTexts, toolCallPlaceholder } from './content-text.js';
import type { InteractionContent, InteractionMessage } from './interaction.js';
import { isRecord, plainValue } from './plain-value.js';
import { parseOrText, requestContent } from './request-content.js';

/**
 * Vercel AI SDK v3–v6 (and v7's LegacyOpenTelemetry): provider-call spans carry the sent
 * messages in `ai.prompt.messages`; the outer `ai.generateText`-style spans carry the caller's
 * `ai.prompt` (`{system, prompt, messages}`). Output is `ai.response.text` / `.toolCalls` /
 * `.object` (v3 and v4 stream spans: `ai.result.*`).
 */
export function extractVercelAi(span: Span): InteractionContent | undefined {
  const value = (key: string): unknown => plainValue(getAttribute(span.attributes, key));
  const systemInstructions: string[] = [];
  let messages: InteractionMessage[] = [];
  const promptMessages = value('ai.prompt.messages');
  const prompt = value('ai.prompt');
  if (promptMessages !== undefined) {
    messages = toChatMessages(parseOrText(promptMessages), 'user');
  } else if (prompt !== undefined) {
    const request = requestContent(prompt);
    systemInstructions.push(...request.systemInstructions);
    messages = request.messages;
  }
  const texts: string[] = [];
  const text = value('ai.response.text') ?? value('ai.result.text');
  if (typeof text === 'string') texts.push(text);
  const toolCalls = parseOrText(value('ai.response.toolCalls') ?? value('ai.result.toolCalls'));
  if (Array.isArray(toolCalls)) {
    for (const call of toolCalls) if (isRecord(call)) texts.push(toolCallPlaceholder(call));
  }
  const object = value('ai.response.object') ?? value('ai.result.object');
  if (typeof object === 'string') texts.push(object);
  const outputText = joinTexts(texts);
  const output = outputText === '' ? [] : [{ role: 'assistant', text: outputText }];
  if (systemInstructions.length === 0 && messages.length === 0 && output.length === 0) return undefined;
  return { systemInstructions, messages, output };
}
