import { describe, expect, it } from 'vitest';
import { createResource, createScope } from './resource.js';
import type { Traces } from './traces.js';
import { countSpans, createSpan, SpanKind, StatusCode } from './traces.js';

const traceId = '0af7651916cd43dd8448eb211c80319c';

function traces(spansPerScope: number[][]): Traces {
  return {
    resourceSpans: spansPerScope.map((scopes, resourceIndex) => ({
      resource: createResource([{ key: 'service.name', value: `svc-${resourceIndex}` }]),
      schemaUrl: '',
      scopeSpans: scopes.map((count, scopeIndex) => ({
        scope: createScope(`scope-${scopeIndex}`),
        schemaUrl: '',
        spans: Array.from({ length: count }, (_, index) =>
          createSpan({ traceId, spanId: index.toString(16).padStart(16, '0'), name: `span-${index}` }),
        ),
      })),
    })),
  };
}

describe('span counts', () => {
  it('count spans across every resource and scope', () => {
    expect(countSpans({ resourceSpans: [] })).toBe(0);
    expect(countSpans(traces([[0]]))).toBe(0);
    expect(countSpans(traces([[2, 3], [], [4]]))).toBe(9);
  });
});

describe('constructors', () => {
  it('give a span every field, with OTLP defaults, and let given fields win', () => {
    const span = createSpan({ traceId, spanId: '00f067aa0ba902b7', name: 'chat', kind: SpanKind.CLIENT });
    expect(span).toEqual({
      traceId,
      spanId: '00f067aa0ba902b7',
      name: 'chat',
      traceState: '',
      parentSpanId: '',
      flags: 0,
      kind: SpanKind.CLIENT,
      startTimeUnixNano: 0n,
      endTimeUnixNano: 0n,
      attributes: [],
      droppedAttributesCount: 0,
      events: [],
      droppedEventsCount: 0,
      links: [],
      droppedLinksCount: 0,
      status: { code: StatusCode.UNSET, message: '' },
    });
    expect(createSpan({ traceId, spanId: '01', name: 'x' }).kind).toBe(SpanKind.INTERNAL);
  });

  it('give separate lists to each span and resource, so mutating one leaves the others alone', () => {
    const first = createSpan({ traceId, spanId: '01', name: 'a' });
    const second = createSpan({ traceId, spanId: '02', name: 'b' });
    first.attributes.push({ key: 'k', value: 'v' });
    expect(second.attributes).toEqual([]);
    expect(createResource()).toEqual({ attributes: [], droppedAttributesCount: 0, entityRefs: [] });
    expect(createScope('openai', '1.0.0')).toEqual({
      name: 'openai',
      version: '1.0.0',
      attributes: [],
      droppedAttributesCount: 0,
    });
  });

  it('keep the OTLP enum values', () => {
    expect(SpanKind).toEqual({ UNSPECIFIED: 0, INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 });
    expect(StatusCode).toEqual({ UNSET: 0, OK: 1, ERROR: 2 });
  });
});
