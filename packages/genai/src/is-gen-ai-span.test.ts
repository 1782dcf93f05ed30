import type { KeyValue } from '@semtel/pdata';
import { createScope, createSpan, fromPlain } from '@semtel/pdata';
import { describe, expect, it } from 'vitest';
import { isGenAiSpan } from './is-gen-ai-span.js';

function attributes(values: Record<string, unknown>): KeyValue[] {
  return Object.entries(values).map(([key, value]) => ({ key, value: fromPlain(value) }));
}

function detect(
  values: Record<string, unknown>,
  name = 'span',
  scopeName = 'scope',
  eventNames: string[] = [],
): boolean {
  const span = createSpan({
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    name,
    attributes: attributes(values),
    events: eventNames.map((eventName) => ({
      timeUnixNano: 0n,
      name: eventName,
      attributes: [],
      droppedAttributesCount: 0,
    })),
  });
  return isGenAiSpan(span, createScope(scopeName));
}

describe('isGenAiSpan', () => {
  it('accepts inference and agent operations, with or without content', () => {
    for (const operation of ['chat', 'text_completion', 'generate_content', 'invoke_agent', 'invoke_workflow']) {
      expect(detect({ 'gen_ai.operation.name': operation, 'gen_ai.provider.name': 'openai' }), operation).toBe(true);
    }
  });

  it('rejects embeddings, retrieval, tool execution and other non-conversational operations', () => {
    for (const operation of ['embeddings', 'retrieval', 'execute_tool', 'create_agent', 'search_memory', 'rerank']) {
      expect(
        detect({ 'gen_ai.operation.name': operation, 'gen_ai.provider.name': 'openai', 'gen_ai.input.messages': '[]' }),
        operation,
      ).toBe(false);
    }
  });

  it('accepts a custom operation only when it carries conversation content', () => {
    expect(detect({ 'gen_ai.operation.name': 'summarise', 'gen_ai.provider.name': 'acme' })).toBe(false);
    expect(detect({ 'gen_ai.operation.name': 'summarise', 'gen_ai.input.messages': '[]' })).toBe(true);
  });

  it('follows OpenInference span kinds', () => {
    expect(detect({ 'openinference.span.kind': 'LLM' })).toBe(true);
    expect(detect({ 'openinference.span.kind': 'agent' })).toBe(true);
    for (const kind of ['EMBEDDING', 'CHAIN', 'TOOL', 'RETRIEVER', 'RERANKER']) {
      expect(detect({ 'openinference.span.kind': kind, 'input.value': 'x' }), kind).toBe(false);
    }
  });

  it('follows Langfuse observation types', () => {
    expect(detect({ 'langfuse.observation.type': 'generation' })).toBe(true);
    expect(detect({ 'langfuse.observation.type': 'agent' })).toBe(true);
    expect(detect({ 'langfuse.observation.type': 'embedding' })).toBe(false);
    expect(detect({ 'langfuse.observation.type': 'span', 'langfuse.observation.input': 'x' })).toBe(false);
  });

  it('accepts Vercel AI SDK text and object calls and their provider calls, not tools or embeddings', () => {
    for (const operation of [
      'ai.generateText',
      'ai.streamText.doStream',
      'ai.generateObject.doGenerate',
      'ai.streamObject',
    ]) {
      expect(detect({ 'ai.operationId': operation }), operation).toBe(true);
    }
    for (const operation of ['ai.toolCall', 'ai.embed', 'ai.embedMany.doEmbed']) {
      expect(detect({ 'ai.operationId': operation }), operation).toBe(false);
    }
    // Without ai.operationId the scope `ai` and the span name identify the call.
    expect(detect({}, 'ai.generateText.doGenerate', 'ai')).toBe(true);
    expect(detect({}, 'ai.toolCall', 'ai')).toBe(false);
    expect(detect({}, 'ai.generateText', 'other')).toBe(false);
  });

  it('follows OpenLLMetry request types', () => {
    expect(detect({ 'llm.request.type': 'chat', 'gen_ai.system': 'OpenAI' })).toBe(true);
    expect(detect({ 'llm.request.type': 'completion' })).toBe(true);
    expect(detect({ 'llm.request.type': 'embedding', 'gen_ai.system': 'OpenAI' })).toBe(false);
  });

  it('falls back to content and gen_ai.system markers', () => {
    expect(detect({ 'gen_ai.system': 'openai' }, 'chat gpt-4')).toBe(true);
    expect(detect({ 'gen_ai.system': 'openai' }, 'embeddings text-embedding-3-small')).toBe(false);
    expect(detect({ 'gen_ai.prompt.0.content': 'Hi' })).toBe(true);
    expect(detect({ 'gen_ai.prompt': "[{'role': 'user'}]" })).toBe(true);
    expect(detect({}, 'span', 'scope', ['gen_ai.user.message'])).toBe(true);
    expect(detect({}, 'span', 'scope', ['gen_ai.content.prompt'])).toBe(true);
  });

  it('rejects ordinary spans', () => {
    expect(detect({ 'http.request.method': 'POST', 'input.value': 'x' }, 'POST /v1/chat/completions')).toBe(false);
    expect(detect({})).toBe(false);
  });
});
