import type { LogRecord } from '@semtel/pdata';
import { createLogRecord } from '@semtel/pdata';
import { describe, expect, it } from 'vitest';
import { GenAiEventBuffer } from './genai-event-buffer.js';

function record(text: string): LogRecord {
  return createLogRecord({ eventName: 'gen_ai.user.message', body: { kvlist: [{ key: 'content', value: text }] } });
}

function texts(records: LogRecord[] | undefined): string[] {
  return (records ?? []).map((entry) => {
    const body = entry.body as { kvlist: { value: string }[] };
    return body.kvlist[0]?.value ?? '';
  });
}

describe('GenAiEventBuffer', () => {
  it('keeps the first records and the latest ones when a span has more than the cap', () => {
    const buffer = new GenAiEventBuffer({ maxKeys: 10, ttlMs: 60_000, maxRecordsPerKey: 20 });
    for (let index = 0; index < 100; index += 1) buffer.add('t:s', record(`turn ${index}`), 0);
    const kept = texts(buffer.peek('t:s'));
    expect(kept).toHaveLength(20);
    expect(kept.slice(0, 16)).toEqual(Array.from({ length: 16 }, (_, index) => `turn ${index}`));
    expect(kept.slice(16)).toEqual(['turn 96', 'turn 97', 'turn 98', 'turn 99']);
  });

  it('drops the oldest spans beyond maxKeys and expired ones', () => {
    const buffer = new GenAiEventBuffer({ maxKeys: 2, ttlMs: 1000 });
    buffer.add('a', record('a'), 0);
    buffer.add('b', record('b'), 0);
    buffer.add('c', record('c'), 0);
    expect(buffer.peek('a')).toBeUndefined();
    expect(buffer.size).toBe(2);
    buffer.add('d', record('d'), 2000);
    expect(buffer.size).toBe(1);
    expect(texts(buffer.take('d'))).toEqual(['d']);
    expect(buffer.size).toBe(0);
  });
});
