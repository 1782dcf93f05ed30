import { decodeTraces, encodeTraces } from '@semtel/otlp';
import { countSpans, getStringAttribute } from '@semtel/pdata';
import { describe, expect, it } from 'vitest';
import { buildGenAiSpan, buildMixedTraces, buildSmallSpan, buildTraces } from './span-builders.js';

describe('span builders', () => {
  it('builds a GenAI chat span of about 5 KB with parseable message content', () => {
    const span = buildGenAiSpan({ variant: 3 });
    const size = encodeTraces(buildTraces([span]), 'protobuf').length;
    expect(size).toBeGreaterThan(4500);
    expect(size).toBeLessThan(6500);
    expect(getStringAttribute(span.attributes, 'gen_ai.operation.name')).toBe('chat');
    const input = JSON.parse(getStringAttribute(span.attributes, 'gen_ai.input.messages') ?? '') as { role: string }[];
    expect(input.map((message) => message.role)).toEqual(['user', 'assistant', 'tool']);
  });

  it('honours a different target size', () => {
    const size = encodeTraces(buildTraces([buildGenAiSpan({ targetBytes: 20_000 })]), 'protobuf').length;
    expect(size).toBeGreaterThan(18_000);
    expect(size).toBeLessThan(23_000);
  });

  it('builds a mixed batch with the requested count, ratio and parent/child structure', () => {
    const traces = buildMixedTraces({ spanCount: 512, genAiRatio: 0.25 });
    expect(countSpans(traces)).toBe(512);
    const [httpScope, genAiScope] = traces.resourceSpans[0]?.scopeSpans ?? [];
    expect(genAiScope?.spans).toHaveLength(128);
    expect(httpScope?.spans).toHaveLength(384);
    const all = [...(httpScope?.spans ?? []), ...(genAiScope?.spans ?? [])];
    expect(new Set(all.map((span) => span.spanId)).size).toBe(512);
    const roots = all.filter((span) => span.parentSpanId === '');
    expect(roots).toHaveLength(64);
  });

  it('survives an OTLP round trip unchanged', () => {
    const traces = buildTraces([buildSmallSpan(), buildGenAiSpan()]);
    expect(decodeTraces(encodeTraces(traces, 'protobuf'), 'protobuf')).toEqual(traces);
    expect(decodeTraces(encodeTraces(traces, 'json'), 'json')).toEqual(traces);
  });
});
