import { createLogRecord, fromPlain } from '@semtel/pdata';
import { describe, expect, it } from 'vitest';
import { genAiEventSpanKey, spanEventKey } from './gen-ai-event-span-key.js';

const ids = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' };

describe('genAiEventSpanKey', () => {
  it('keys GenAI content events by trace and span, named by eventName or the event.name attribute', () => {
    const key = `${ids.traceId}:${ids.spanId}`;
    for (const name of [
      'gen_ai.user.message',
      'gen_ai.choice',
      'gen_ai.client.inference.operation.details',
      'gen_ai.content.prompt',
    ]) {
      expect(genAiEventSpanKey(createLogRecord({ ...ids, eventName: name })), name).toBe(key);
      expect(
        genAiEventSpanKey(createLogRecord({ ...ids, attributes: [{ key: 'event.name', value: fromPlain(name) }] })),
      ).toBe(key);
    }
    expect(spanEventKey({ traceId: ids.traceId.toUpperCase(), spanId: ids.spanId })).toBe(key);
  });

  it('leaves other records alone, including our own evaluation events and records without a span', () => {
    expect(genAiEventSpanKey(createLogRecord({ ...ids, eventName: 'gen_ai.evaluation.result' }))).toBeUndefined();
    expect(genAiEventSpanKey(createLogRecord({ ...ids, body: 'plain log line' }))).toBeUndefined();
    expect(genAiEventSpanKey(createLogRecord({ traceId: ids.traceId, eventName: 'gen_ai.choice' }))).toBeUndefined();
    expect(genAiEventSpanKey(createLogRecord({ spanId: ids.spanId, eventName: 'gen_ai.choice' }))).toBeUndefined();
  });
});
