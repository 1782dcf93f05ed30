/** One message of an interaction; non-text parts are short placeholders such as "[image]" or "[tool_call get_weather]". */
export interface InteractionMessage {
  role: string;
  text: string;
}

/** The conventions an Interaction can be read from, in README order. */
export type InteractionConvention =
  'otel_latest' | 'otel_events' | 'otel_legacy_prompt' | 'openllmetry' | 'openinference' | 'vercel_ai' | 'langfuse';

export interface InteractionUsage {
  inputTokens?: number;
  outputTokens?: number;
}

/** A GenAI exchange normalised from whichever convention the producer used. */
export interface Interaction {
  convention: InteractionConvention | (string & {});
  systemInstructions: string[];
  messages: InteractionMessage[];
  output: InteractionMessage[];
  model?: string;
  provider?: string;
  operation?: string;
  conversationId?: string;
  userId?: string;
  responseId?: string;
  usage?: InteractionUsage;
}

/** The content part of an Interaction, as each convention reader returns it. */
export interface InteractionContent {
  systemInstructions: string[];
  messages: InteractionMessage[];
  output: InteractionMessage[];
}

export function emptyContent(): InteractionContent {
  return { systemInstructions: [], messages: [], output: [] };
}

export function hasContent(content: InteractionContent): boolean {
  return content.systemInstructions.length > 0 || content.messages.length > 0 || content.output.length > 0;
}
