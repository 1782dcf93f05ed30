import type { InstrumentationScope, Span } from '@semtel/pdata';
import { getStringAttribute } from '@semtel/pdata';

/** The Vercel AI SDK operation (`ai.generateText.doGenerate`, ...), or undefined for other spans. */
export function vercelOperationId(span: Span, scope: InstrumentationScope): string | undefined {
  const operationId = getStringAttribute(span.attributes, 'ai.operationId');
  if (operationId !== undefined) return operationId;
  return scope.name === 'ai' && span.name.startsWith('ai.') ? span.name : undefined;
}

const conversationalCalls = new Set(['ai.generateText', 'ai.streamText', 'ai.generateObject', 'ai.streamObject']);

/** `provider` for the `.doGenerate`/`.doStream` provider calls, `agent` for the calls wrapping them, else undefined. */
export function vercelOperationKind(operationId: string): 'provider' | 'agent' | undefined {
  const match = /^(ai\.\w+)(?:\.(doGenerate|doStream))?$/.exec(operationId);
  if (!match || !conversationalCalls.has(match[1] ?? '')) return undefined;
  return match[2] === undefined ? 'agent' : 'provider';
}
