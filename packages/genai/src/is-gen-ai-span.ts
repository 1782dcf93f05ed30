import type { InstrumentationScope, Span } from '@semtel/pdata';
import { getStringAttribute, hasAttribute } from '@semtel/pdata';
import { legacyCompletionEventName, legacyPromptEventName, messageEventNames } from './gen-ai-events.js';
import { vercelOperationId, vercelOperationKind } from './vercel-operation.js';

/** Operations that are a conversation with a model, or an agent/workflow running one. */
const conversationalOperations = new Set([
  'chat',
  'text_completion',
  'completion',
  'generate_content',
  'generate',
  'invoke_agent',
  'invoke_workflow',
]);

/** Operations with no human–AI exchange to classify, even when they carry text. */
const nonConversationalOperations = new Set([
  'embeddings',
  'embedding',
  'retrieval',
  'execute_tool',
  'create_agent',
  'rerank',
  'plan',
  'fetch_response',
  'create_memory',
  'create_memory_store',
  'delete_memory',
  'delete_memory_store',
  'search_memory',
  'update_memory',
  'upsert_memory',
]);

const contentAttributeKeys = ['gen_ai.input.messages', 'gen_ai.output.messages', 'gen_ai.prompt', 'gen_ai.completion'];

/**
 * True for a GenAI inference or agent span, with or without content. The first convention that
 * declares what the span is decides (`gen_ai.operation.name`, `openinference.span.kind`,
 * `langfuse.observation.type`, Vercel `ai.operationId`, OpenLLMetry `llm.request.type`), so
 * embeddings, retrieval, tool and rerank spans are not GenAI spans here; without a declaration,
 * GenAI content or a `gen_ai.system`/`gen_ai.provider.name` marker decides.
 */
export function isGenAiSpan(span: Span, scope: InstrumentationScope): boolean {
  const attributes = span.attributes;
  const operation = getStringAttribute(attributes, 'gen_ai.operation.name')?.toLowerCase();
  if (operation !== undefined && operation !== '') {
    if (conversationalOperations.has(operation)) return true;
    if (nonConversationalOperations.has(operation)) return false;
    // A custom operation counts when it carries conversation content.
    return hasGenAiContent(span);
  }
  const openInferenceKind = getStringAttribute(attributes, 'openinference.span.kind');
  if (openInferenceKind !== undefined) {
    const kind = openInferenceKind.toUpperCase();
    return kind === 'LLM' || kind === 'AGENT';
  }
  const langfuseType = getStringAttribute(attributes, 'langfuse.observation.type');
  if (langfuseType !== undefined) {
    const type = langfuseType.toLowerCase();
    return type === 'generation' || type === 'agent';
  }
  const operationId = vercelOperationId(span, scope);
  if (operationId !== undefined) return vercelOperationKind(operationId) !== undefined;
  const requestType = getStringAttribute(attributes, 'llm.request.type')?.toLowerCase();
  if (requestType !== undefined) return requestType === 'chat' || requestType === 'completion';
  if (hasGenAiContent(span)) return true;
  if (hasAttribute(attributes, 'gen_ai.system') || hasAttribute(attributes, 'gen_ai.provider.name')) {
    return !/^(embeddings?|retrieval|execute_tool|rerank)\b/i.test(span.name);
  }
  return false;
}

function hasGenAiContent(span: Span): boolean {
  for (const attribute of span.attributes) {
    if (contentAttributeKeys.includes(attribute.key) || /^gen_ai\.(prompt|completion)\.\d+\./.test(attribute.key)) {
      return true;
    }
  }
  return span.events.some(
    (event) =>
      messageEventNames.has(event.name) ||
      event.name === legacyPromptEventName ||
      event.name === legacyCompletionEventName,
  );
}
