import type { Span, Traces } from '@semtel/pdata';
import { createResource, createScope, createSpan, getAttribute, kvlist } from '@semtel/pdata';
import { describe, expect, it } from 'vitest';
import { CodecError } from './codec-error.js';
import { readFixture } from './fixtures.test-support.js';
import { decodeTraces, encodeTraces } from './traces-codec.js';

function allSpans(traces: Traces): Span[] {
  return traces.resourceSpans.flatMap((resourceSpans) => resourceSpans.scopeSpans.flatMap((scope) => scope.spans));
}

function richTraces(): Traces {
  const span = createSpan({
    traceId: '0123456789abcdef0123456789abcdef',
    spanId: 'fedcba9876543210',
    traceState: 'vendor=abc,other=xyz',
    parentSpanId: '00f067aa0ba902b7',
    flags: 0xfffff301,
    name: 'chat gpt-4o',
    kind: 77,
    startTimeUnixNano: 18446744073709551615n,
    endTimeUnixNano: 1700000000123456789n,
    attributes: [
      { key: 'string', value: 'héllo ✓' },
      { key: 'empty.string', value: '' },
      { key: 'bool', value: false },
      { key: 'int.max', value: 9223372036854775807n },
      { key: 'int.min', value: -9223372036854775808n },
      { key: 'int.beyond.2^53', value: 9007199254740993n },
      { key: 'int.zero', value: 0n },
      { key: 'double.whole', value: 1 },
      { key: 'double.zero', value: 0 },
      { key: 'double.nan', value: Number.NaN },
      { key: 'double.infinity', value: Number.NEGATIVE_INFINITY },
      { key: 'bytes', value: new Uint8Array([0, 1, 2, 254, 255]) },
      { key: 'bytes.empty', value: new Uint8Array([]) },
      { key: 'array', value: ['a', 1n, 2.5, true, undefined, [kvlist([{ key: 'deep', value: 'x' }])]] },
      { key: 'array.empty', value: [] },
      {
        key: 'kvlist',
        value: kvlist([
          { key: 'nested', value: kvlist([{ key: 'n', value: -1n }]) },
          { key: 'nothing', value: undefined },
        ]),
      },
      { key: 'kvlist.empty', value: kvlist([]) },
      { key: 'empty.value', value: undefined },
    ],
    droppedAttributesCount: 3,
    events: [
      { timeUnixNano: 1n, name: 'event', attributes: [{ key: 'e', value: 1n }], droppedAttributesCount: 4 },
      { timeUnixNano: 0n, name: '', attributes: [], droppedAttributesCount: 0 },
    ],
    droppedEventsCount: 5,
    links: [
      {
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        traceState: 'congo=t61rcWkgMzE',
        attributes: [{ key: 'l', value: 'v' }],
        droppedAttributesCount: 6,
        flags: 0x80000301,
      },
      { traceId: 'abcd', spanId: '01', traceState: '', attributes: [], droppedAttributesCount: 0, flags: 0 },
    ],
    droppedLinksCount: 7,
    status: { code: 2, message: 'upstream returned 503' },
  });
  const oddIds = createSpan({ traceId: '00', spanId: '', name: '', kind: 0 });
  return {
    resourceSpans: [
      {
        resource: {
          attributes: [{ key: 'service.name', value: 'svc' }],
          droppedAttributesCount: 8,
          entityRefs: [
            {
              schemaUrl: 'https://entity',
              type: 'service',
              idKeys: ['service.name'],
              descriptionKeys: ['service.version'],
            },
          ],
        },
        scopeSpans: [
          {
            scope: {
              name: 'scope',
              version: '1.0',
              attributes: [{ key: 'scope.attribute', value: true }],
              droppedAttributesCount: 9,
            },
            spans: [span, oddIds],
            schemaUrl: 'https://opentelemetry.io/schemas/1.37.0',
          },
          { scope: createScope(), spans: [], schemaUrl: '' },
        ],
        schemaUrl: 'https://opentelemetry.io/schemas/1.36.0',
      },
      { resource: createResource(), scopeSpans: [], schemaUrl: '' },
    ],
  };
}

describe('traces codec', () => {
  for (const encoding of ['protobuf', 'json'] as const) {
    it(`round-trips every span field through ${encoding}`, () => {
      const traces = richTraces();
      expect(decodeTraces(encodeTraces(traces, encoding), encoding)).toEqual(traces);
    });
  }

  it('decodes the SDK protobuf and JSON fixtures to the same spans', () => {
    const fromProtobuf = decodeTraces(readFixture('traces.pb'), 'protobuf');
    const fromJson = decodeTraces(readFixture('traces.json'), 'json');
    // The SDK's JSON exporter prints the attribute 2^60 (a JS number) as the shortest text that
    // reads back as that double, 1152921504606847000; semtel keeps what the text says, as the
    // collector does, while protobuf carries 2^60 itself.
    const large = (traces: Traces) => getAttribute(allSpans(traces)[0]?.attributes ?? [], 'test.int.large');
    expect(large(fromProtobuf)).toBe(2n ** 60n);
    expect(large(fromJson)).toBe(1152921504606847000n);
    for (const attribute of allSpans(fromJson)[0]?.attributes ?? []) {
      if (attribute.key === 'test.int.large') attribute.value = 2n ** 60n;
    }
    expect(fromJson).toEqual(fromProtobuf);
    const spans = allSpans(fromProtobuf);
    expect(spans.length).toBeGreaterThanOrEqual(6);
    const chat = spans.find((span) => span.name === 'chat gpt-4o-mini');
    expect(chat).toBeDefined();
    expect(chat?.traceId).toBe('5b8efff798038103d269b633813fc60c');
    expect(chat?.links[0]?.traceState).toBe('congo=t61rcWkgMzE');
    expect(chat?.status).toEqual({ code: 2, message: 'upstream returned 503' });
    expect(getAttribute(chat?.attributes ?? [], 'test.int.negative')).toBe(-42n);
    expect(getAttribute(chat?.attributes ?? [], 'test.double.whole')).toBe(1.5);
    const server = spans.find((span) => span.name === 'GET /plan');
    expect(server?.traceState).toBe('vendor=abc,other=xyz');
    expect(server?.parentSpanId).toBe('eee19b7ec3c1b173');
    // The SDK sets HAS_IS_REMOTE and IS_REMOTE for a remote parent.
    expect((server?.flags ?? 0) & 0x300).toBe(0x300);
    const noisy = spans.find((span) => span.name === 'noisy');
    expect(noisy?.droppedAttributesCount).toBe(8);
    expect(noisy?.droppedEventsCount).toBe(2);
  });

  for (const fixture of ['traces.pb', 'traces.json']) {
    it(`re-encodes ${fixture} without loss in both encodings`, () => {
      const encoding = fixture.endsWith('.pb') ? 'protobuf' : 'json';
      const traces = decodeTraces(readFixture(fixture), encoding);
      const viaProtobuf = decodeTraces(encodeTraces(traces, 'protobuf'), 'protobuf');
      const viaJson = decodeTraces(encodeTraces(viaProtobuf, 'json'), 'json');
      expect(viaProtobuf).toEqual(traces);
      expect(viaJson).toEqual(traces);
    });
  }

  it('writes OTLP/JSON with hex ids, decimal-string 64-bit integers, integer enums and no defaults', () => {
    const json = JSON.parse(Buffer.from(encodeTraces(richTraces(), 'json')).toString('utf8'));
    const span = json.resourceSpans[0].scopeSpans[0].spans[0];
    expect(span.traceId).toBe('0123456789abcdef0123456789abcdef');
    expect(span.parentSpanId).toBe('00f067aa0ba902b7');
    expect(span.startTimeUnixNano).toBe('18446744073709551615');
    expect(span.kind).toBe(77);
    expect(span.flags).toBe(0xfffff301);
    expect(span.status).toEqual({ message: 'upstream returned 503', code: 2 });
    expect(span.attributes[3]).toEqual({ key: 'int.max', value: { intValue: '9223372036854775807' } });
    expect(span.attributes[11]).toEqual({ key: 'bytes', value: { bytesValue: 'AAEC/v8=' } });
    expect(span.attributes[9]).toEqual({ key: 'double.nan', value: { doubleValue: 'NaN' } });
    expect(span.events[1]).toEqual({});
    const odd = json.resourceSpans[0].scopeSpans[0].spans[1];
    expect(odd).toEqual({ traceId: '00' });
    expect(json.resourceSpans[1]).toEqual({ resource: {} });
  });

  it('decodes lenient OTLP/JSON: snake_case, enum names, numbers for int64, upper-case hex, legacy keys', () => {
    const body = JSON.stringify({
      resource_spans: [
        {
          resource: { attributes: [{ key: 'k', value: { int_value: 12 } }], dropped_attributes_count: '2' },
          instrumentationLibrarySpans: [
            {
              instrumentationLibrary: { name: 'legacy', version: '0.1' },
              spans: [
                {
                  trace_id: '5B8EFFF798038103D269B633813FC60C',
                  spanId: 'EEE19B7EC3C1B174',
                  parent_span_id: '',
                  name: 'legacy span',
                  kind: 'SPAN_KIND_SERVER',
                  start_time_unix_nano: 1544712660000000000,
                  endTimeUnixNano: '1544712661000000000',
                  status: { code: 'STATUS_CODE_ERROR', message: 'x' },
                  attributes: [
                    { key: 'i', value: { intValue: '-5' } },
                    { key: 'd', value: { doubleValue: '2.5' } },
                  ],
                  unknownField: { anything: [1, 2, 3] },
                },
              ],
            },
          ],
        },
      ],
    });
    const traces = decodeTraces(Buffer.from(body), 'json');
    const resourceSpans = traces.resourceSpans[0];
    expect(resourceSpans?.resource.attributes).toEqual([{ key: 'k', value: 12n }]);
    expect(resourceSpans?.resource.droppedAttributesCount).toBe(2);
    expect(resourceSpans?.scopeSpans[0]?.scope.name).toBe('legacy');
    const span = resourceSpans?.scopeSpans[0]?.spans[0];
    expect(span?.traceId).toBe('5b8efff798038103d269b633813fc60c');
    expect(span?.spanId).toBe('eee19b7ec3c1b174');
    expect(span?.kind).toBe(2);
    expect(span?.startTimeUnixNano).toBe(1544712660000000000n);
    expect(span?.endTimeUnixNano).toBe(1544712661000000000n);
    expect(span?.status).toEqual({ code: 2, message: 'x' });
    expect(span?.attributes).toEqual([
      { key: 'i', value: -5n },
      { key: 'd', value: 2.5 },
    ]);
  });

  it('decodes an empty request and an empty JSON object to no spans', () => {
    expect(decodeTraces(new Uint8Array(0), 'protobuf')).toEqual({ resourceSpans: [] });
    expect(decodeTraces(Buffer.from('{}'), 'json')).toEqual({ resourceSpans: [] });
    expect(encodeTraces({ resourceSpans: [] }, 'protobuf')).toHaveLength(0);
  });

  it('rejects invalid JSON with the path of the bad value', () => {
    const decode = (json: unknown) => () => decodeTraces(Buffer.from(JSON.stringify(json)), 'json');
    const spans = (span: unknown) => ({ resourceSpans: [{ scopeSpans: [{}, { spans: [{}, {}, {}, span] }] }] });
    expect(decode(spans({ traceId: 'not-hex' }))).toThrow(
      new CodecError('resourceSpans[0].scopeSpans[1].spans[3].traceId: not hex: "not-hex"'),
    );
    expect(decode(spans({ spanId: 'abc' }))).toThrow('resourceSpans[0].scopeSpans[1].spans[3].spanId: not hex');
    expect(decode(spans({ startTimeUnixNano: '12x' }))).toThrow(
      'resourceSpans[0].scopeSpans[1].spans[3].startTimeUnixNano: expected an integer or a decimal string',
    );
    expect(decode(spans({ startTimeUnixNano: '-1' }))).toThrow('startTimeUnixNano: integer -1 out of range');
    expect(decode(spans({ kind: 'SPAN_KIND_NOPE' }))).toThrow('spans[3].kind: unknown SpanKind value "SPAN_KIND_NOPE"');
    expect(decode(spans({ flags: 2 ** 32 }))).toThrow('spans[3].flags: integer 4294967296 out of range');
    expect(decode(spans({ attributes: {} }))).toThrow('spans[3].attributes: expected an array, got an object');
    expect(decode(spans({ attributes: [{ key: 'k', value: { bytesValue: '%%%' } }] }))).toThrow(
      'spans[3].attributes[0].value.bytesValue: not base64',
    );
    expect(decode(spans({ attributes: [{ key: 'k', value: { intValue: 1.5 } }] }))).toThrow(
      'spans[3].attributes[0].value.intValue: expected an integer, got number 1.5',
    );
    expect(decode(spans({ name: 5 }))).toThrow('spans[3].name: expected a string, got number 5');
    expect(decode([])).toThrow('expected an object, got an array');
    expect(() => decodeTraces(Buffer.from('{"resourceSpans": ['), 'json')).toThrow(/^invalid JSON: /);
  });

  it('rejects malformed protobuf', () => {
    expect(() => decodeTraces(Uint8Array.from([0x0a, 0x05, 0x01]), 'protobuf')).toThrow(CodecError);
    expect(() => decodeTraces(Uint8Array.from([0x0a, 0x05, 0x01]), 'protobuf')).toThrow(
      /^invalid protobuf ExportTraceServiceRequest: /,
    );
    const truncated = readFixture('traces.pb').subarray(0, 100);
    expect(() => decodeTraces(truncated, 'protobuf')).toThrow(CodecError);
  });

  it('refuses to encode values that would be silently corrupted', () => {
    const traces = richTraces();
    const span = traces.resourceSpans[0]?.scopeSpans[0]?.spans[0] as Span;
    span.spanId = 'xyz';
    expect(() => encodeTraces(traces, 'protobuf')).toThrow(
      new CodecError('resourceSpans[0].scopeSpans[0].spans[0].spanId: not hex: "xyz"'),
    );
    span.spanId = 'fedcba9876543210';
    span.attributes.push({ key: 'too.big', value: 2n ** 63n });
    expect(() => encodeTraces(traces, 'json')).toThrow(
      'resourceSpans[0].scopeSpans[0].spans[0]: integer 9223372036854775808 is outside int64',
    );
  });
});
