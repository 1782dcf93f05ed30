import { isRecord, maximumDepth, stringField } from './plain-value.js';

/**
 * Turns message content of any known shape into text: strings stay, text parts are joined by
 * newlines, and everything that is not text (media, tool calls, reasoning) becomes a short
 * placeholder so a transcript shows that it happened without carrying it.
 */
export function contentText(content: unknown, depth = 0): string {
  if (depth > maximumDepth) return '';
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  if (typeof content === 'number' || typeof content === 'boolean') return String(content);
  if (Array.isArray(content)) {
    return joinTexts(content.map((part) => partText(part, depth + 1)));
  }
  if (isRecord(content)) return partText(content, depth + 1);
  return '';
}

export function joinTexts(texts: readonly string[]): string {
  return texts.filter((text) => text.trim() !== '').join('\n');
}

/** The text of one part: semconv parts, OpenAI chat and Responses parts, Vercel AI SDK, Anthropic and OpenInference shapes. */
export function partText(part: unknown, depth = 0): string {
  if (depth > maximumDepth) return '';
  if (!isRecord(part)) return contentText(part, depth + 1);
  const type = typeof part.type === 'string' ? part.type.toLowerCase() : undefined;
  switch (type) {
    case undefined:
      return untypedText(part, depth);
    case 'text':
    case 'input_text':
    case 'output_text':
      return contentText(part.content ?? part.text ?? part.value, depth + 1);
    case 'refusal':
      return contentText(part.refusal ?? part.content, depth + 1);
    case 'tool_call':
    case 'function_call':
    case 'custom_tool_call':
    case 'tool-call':
    case 'tool_use':
    case 'function':
      return toolCallPlaceholder(part);
    case 'tool_call_response':
    case 'function_call_output':
    case 'custom_tool_call_output':
    case 'tool-result':
    case 'tool_result':
      return toolResultText(part.response ?? part.result ?? part.output ?? part.content, depth + 1);
    case 'server_tool_call':
      return `[server_tool_call ${toolName(part) ?? serverToolType(part) ?? ''}]`.replace(' ]', ']');
    case 'server_tool_call_response':
      return '[server_tool_call_response]';
    case 'blob':
    case 'file':
    case 'uri':
    case 'input_file':
      return `[${mediaKind(part) ?? 'file'}]`;
    case 'image':
    case 'image_url':
    case 'input_image':
      return '[image]';
    case 'audio':
    case 'input_audio':
      return '[audio]';
    case 'video':
      return '[video]';
    case 'reasoning':
    case 'thinking':
    case 'redacted_thinking':
    case 'reasoning_text':
    case 'summary_text':
      return '[reasoning]';
    default: {
      const text = stringField(part, 'text', 'content');
      return text ?? `[${type}]`;
    }
  }
}

/** A tool call is shown by name only: arguments are machine input, not conversation. */
export function toolCallPlaceholder(call: Record<string, unknown>): string {
  const name = toolName(call);
  return name ? `[tool_call ${name}]` : '[tool_call]';
}

function toolName(call: Record<string, unknown>): string | undefined {
  const direct = stringField(call, 'name', 'toolName', 'tool_name');
  if (direct) return direct;
  return isRecord(call.function) ? stringField(call.function, 'name') : undefined;
}

function serverToolType(part: Record<string, unknown>): string | undefined {
  return isRecord(part.server_tool_call) ? stringField(part.server_tool_call, 'type') : undefined;
}

/** Tool results are content the model read, so their text is kept (as JSON when structured). */
export function toolResultText(result: unknown, depth = 0): string {
  if (result === undefined || result === null) return '[tool_call_response]';
  if (typeof result === 'string') return result;
  // Vercel AI SDK v5+ wraps results: {type: 'text' | 'json' | 'error-text' | ..., value}.
  if (isRecord(result) && 'value' in result && typeof result.type === 'string') {
    return toolResultText(result.value, depth + 1);
  }
  if (Array.isArray(result) && result.every((entry) => isRecord(entry) && typeof entry.type === 'string')) {
    return contentText(result, depth + 1);
  }
  return safeStringify(result);
}

function untypedText(part: Record<string, unknown>, depth: number): string {
  if (typeof part.text === 'string') return part.text;
  if ('content' in part) return contentText(part.content, depth + 1);
  if (isRecord(part.function) || 'tool_call' in part) return toolCallPlaceholder(part);
  return safeStringify(part);
}

function mediaKind(part: Record<string, unknown>): string | undefined {
  const modality = stringField(part, 'modality');
  if (modality) return modality;
  const mime = stringField(part, 'mime_type', 'mimeType', 'mediaType', 'media_type');
  const kind = mime?.split('/')[0]?.toLowerCase();
  if (kind === 'image' || kind === 'audio' || kind === 'video') return kind;
  return undefined;
}

export function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}
