import type { KeyValue } from '@semtel/pdata';
import { createSpan, fromPlain } from '@semtel/pdata';
import { describe, expect, it } from 'vitest';
import { spanReportsResponse } from './span-reports-response.js';

function reports(values: Record<string, unknown>): boolean {
  const attributes: KeyValue[] = Object.entries(values).map(([key, value]) => ({ key, value: fromPlain(value) }));
  return spanReportsResponse(
    createSpan({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', name: 'chat', attributes }),
  );
}

describe('spanReportsResponse', () => {
  it('is true when the span carries finish reasons, output tokens or a response id', () => {
    expect(reports({ 'gen_ai.response.finish_reasons': ['stop'] })).toBe(true);
    expect(reports({ 'gen_ai.usage.output_tokens': 17 })).toBe(true);
    expect(reports({ 'gen_ai.usage.completion_tokens': 3 })).toBe(true);
    expect(reports({ 'gen_ai.response.id': 'chatcmpl-1' })).toBe(true);
  });

  it('is false for a request that got no answer', () => {
    expect(reports({ 'gen_ai.operation.name': 'chat', 'gen_ai.system': 'openai' })).toBe(false);
    expect(reports({ 'gen_ai.response.finish_reasons': [], 'gen_ai.usage.output_tokens': 0 })).toBe(false);
    expect(reports({ 'gen_ai.response.id': '' })).toBe(false);
  });
});
