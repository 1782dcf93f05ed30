import type { InstrumentationScope, Span } from '@semtel/pdata';
import { getAttribute, getNumberAttribute, getStringAttribute } from '@semtel/pdata';
import type { GenAiEvent } from './gen-ai-events.js';
import { operationDetailsEventName } from './gen-ai-events.js';
import type { Interaction, InteractionUsage } from './interaction.js';
import { parseLenientJson } from './lenient-json.js';
import { isRecord, plainValue } from './plain-value.js';
import { vercelOperationId, vercelOperationKind } from './vercel-operation.js';

export type InteractionMetadata = Pick<
  Interaction,
  'model' | 'provider' | 'operation' | 'conversationId' | 'userId' | 'responseId' | 'usage'
>;

// Spellings in precedence order: the model that answered before the one requested.
const modelKeys = [
  'langfuse.observation.model.name',
  'gen_ai.response.model',
  'ai.response.model',
  'llm.response.model_name',
  'llm.model_name',
  'gen_ai.request.model',
  'ai.model.id',
  'llm.request.model_name',
];
const conversationKeys = [
  'gen_ai.conversation.id',
  'session.id',
  'langfuse.session.id',
  'ai.telemetry.metadata.sessionId',
  'ai.telemetry.metadata.conversationId',
  'traceloop.association.properties.session_id',
  'traceloop.association.properties.conversation_id',
];
const userKeys = [
  'user.id',
  'enduser.id',
  'langfuse.user.id',
  'ai.telemetry.metadata.userId',
  'traceloop.association.properties.user_id',
  'llm.user',
];
const responseIdKeys = ['gen_ai.response.id', 'ai.response.id'];
const inputTokenKeys = [
  'gen_ai.usage.input_tokens',
  'gen_ai.usage.prompt_tokens',
  'llm.token_count.prompt',
  'ai.usage.inputTokens',
  'ai.usage.promptTokens',
];
/** Spellings of the answer's size in tokens. */
export const outputTokenKeys = [
  'gen_ai.usage.output_tokens',
  'gen_ai.usage.completion_tokens',
  'llm.token_count.completion',
  'ai.usage.outputTokens',
  'ai.usage.completionTokens',
];

/**
 * Model, provider, operation, ids and token usage from every known spelling, read from the span
 * and then from `gen_ai.client.inference.operation.details` events (which repeat the span's
 * attributes when a producer puts them there).
 */
export function extractInteractionMetadata(
  span: Span,
  scope: InstrumentationScope,
  events: readonly GenAiEvent[],
): InteractionMetadata {
  const details = events.filter((event) => event.name === operationDetailsEventName).map((event) => event.fields);
  const text = (keys: readonly string[]): string | undefined => {
    for (const key of keys) {
      const value = getStringAttribute(span.attributes, key);
      if (value !== undefined && value !== '') return value;
    }
    for (const fields of details) {
      for (const key of keys) {
        const value = fields[key];
        if (typeof value === 'string' && value !== '') return value;
      }
    }
    return undefined;
  };
  const count = (keys: readonly string[]): number | undefined => {
    for (const key of keys) {
      const value = getNumberAttribute(span.attributes, key);
      if (value !== undefined) return value;
    }
    for (const fields of details) {
      for (const key of keys) {
        const value = fields[key];
        if (typeof value === 'number') return value;
      }
    }
    return undefined;
  };

  const metadata: InteractionMetadata = {};
  const model = text(modelKeys);
  if (model !== undefined) metadata.model = model;
  const provider = providerOf(span, scope, text);
  if (provider !== undefined) metadata.provider = provider;
  const operation = operationOf(span, scope);
  if (operation !== undefined) metadata.operation = operation;
  const conversationId = text(conversationKeys);
  if (conversationId !== undefined) metadata.conversationId = conversationId;
  const userId = text(userKeys);
  if (userId !== undefined) metadata.userId = userId;
  const responseId = text(responseIdKeys) ?? openInferenceResponseId(span);
  if (responseId !== undefined) metadata.responseId = responseId;
  const usage: InteractionUsage = { ...langfuseUsage(span) };
  const inputTokens = count(inputTokenKeys);
  if (inputTokens !== undefined) usage.inputTokens = inputTokens;
  const outputTokens = count(outputTokenKeys);
  if (outputTokens !== undefined) usage.outputTokens = outputTokens;
  if (usage.inputTokens !== undefined || usage.outputTokens !== undefined) metadata.usage = usage;
  return metadata;
}

function providerOf(
  span: Span,
  scope: InstrumentationScope,
  text: (keys: readonly string[]) => string | undefined,
): string | undefined {
  const declared = text(['gen_ai.provider.name']);
  if (declared !== undefined) return declared.toLowerCase();
  // Vercel reports its provider ids (`openai.chat`, `openai.responses`) in `gen_ai.system` too.
  if (vercelOperationId(span, scope) !== undefined) {
    const vercelProvider = text(['ai.model.provider', 'gen_ai.system']);
    if (vercelProvider !== undefined) return vercelProvider.split('.')[0]?.toLowerCase();
  }
  return text(['gen_ai.system', 'llm.provider', 'llm.system'])?.toLowerCase();
}

/** Semconv operation names; other conventions' span kinds are mapped onto them. */
function operationOf(span: Span, scope: InstrumentationScope): string | undefined {
  const attributes = span.attributes;
  const declared = getStringAttribute(attributes, 'gen_ai.operation.name');
  if (declared !== undefined && declared !== '') return declared;
  const operationId = vercelOperationId(span, scope);
  if (operationId !== undefined) {
    const kind = vercelOperationKind(operationId);
    if (kind !== undefined) return kind === 'provider' ? 'chat' : 'invoke_agent';
  }
  const requestType = getStringAttribute(attributes, 'llm.request.type')?.toLowerCase();
  if (requestType === 'chat') return 'chat';
  if (requestType === 'completion') return 'text_completion';
  const kind = (
    getStringAttribute(attributes, 'openinference.span.kind') ??
    getStringAttribute(attributes, 'langfuse.observation.type')
  )?.toLowerCase();
  if (kind === 'llm' || kind === 'generation') return 'chat';
  if (kind === 'agent') return 'invoke_agent';
  return undefined;
}

/** OpenInference has no response id attribute; the response body in `output.value` has it. */
function openInferenceResponseId(span: Span): string | undefined {
  const output = getStringAttribute(span.attributes, 'output.value');
  if (output === undefined || !output.trimStart().startsWith('{')) return undefined;
  const parsed = parseLenientJson(output);
  if (!isRecord(parsed) || typeof parsed.id !== 'string') return undefined;
  return parsed.object === 'chat.completion' || parsed.object === 'response' || parsed.object === 'text_completion'
    ? parsed.id
    : undefined;
}

function langfuseUsage(span: Span): InteractionUsage {
  const raw = plainValue(getAttribute(span.attributes, 'langfuse.observation.usage_details'));
  const details = typeof raw === 'string' ? parseLenientJson(raw) : raw;
  if (!isRecord(details)) return {};
  const pick = (...keys: string[]): number | undefined => {
    for (const key of keys) {
      const value = details[key];
      if (typeof value === 'number' && Number.isFinite(value)) return value;
    }
    return undefined;
  };
  const usage: InteractionUsage = {};
  const inputTokens = pick('input', 'input_tokens', 'prompt_tokens', 'promptTokens', 'inputTokens');
  if (inputTokens !== undefined) usage.inputTokens = inputTokens;
  const outputTokens = pick('output', 'output_tokens', 'completion_tokens', 'completionTokens', 'outputTokens');
  if (outputTokens !== undefined) usage.outputTokens = outputTokens;
  return usage;
}
