import type { AnyValue, Logs, Traces } from '@semtel/pdata';
import { createLogRecord, createResource, createScope, createSpan, getAttribute, kvlist } from '@semtel/pdata';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { decodeLogs, encodeLogs } from './logs-codec.js';
import { decodeMetrics, encodeMetrics } from './metrics-codec.js';
import { maxMessageDepth } from './proto-types.js';
import { decodeTraces, encodeTraces } from './traces-codec.js';

const traceId = '0123456789abcdef0123456789abcdef';
const spanId = '0123456789abcdef';

function nestedArrays(levels: number): AnyValue {
  let value: AnyValue = 'leaf';
  for (let level = 0; level < levels; level++) value = [value];
  return value;
}

function nestedKvlists(levels: number): AnyValue {
  let value: AnyValue = 1n;
  for (let level = 0; level < levels; level++) value = kvlist([{ key: 'k', value }]);
  return value;
}

function tracesWith(attribute: AnyValue, where: 'span' | 'event' | 'link'): Traces {
  const attributes = [{ key: 'deep', value: attribute }];
  const span = createSpan({ traceId, spanId, name: 'deep' });
  if (where === 'span') span.attributes = attributes;
  if (where === 'event') span.events = [{ timeUnixNano: 1n, name: 'e', attributes, droppedAttributesCount: 0 }];
  if (where === 'link')
    span.links = [{ traceId, spanId, traceState: '', attributes, droppedAttributesCount: 0, flags: 0 }];
  return {
    resourceSpans: [
      {
        resource: createResource(),
        scopeSpans: [{ scope: createScope(), spans: [span], schemaUrl: '' }],
        schemaUrl: '',
      },
    ],
  };
}

function logsWithBody(body: AnyValue): Logs {
  return {
    resourceLogs: [
      {
        resource: createResource(),
        scopeLogs: [{ scope: createScope(), logRecords: [createLogRecord({ body })], schemaUrl: '' }],
        schemaUrl: '',
      },
    ],
  };
}

/**
 * Writes protobuf deeper than protobufjs would, as a sender in another language can: the receiver
 * must refuse what it could not send on.
 */
function withoutDepthLimit<T>(build: () => T): T {
  const limit = protobuf.util.recursionLimit;
  protobuf.util.recursionLimit = 10_000;
  try {
    return build();
  } finally {
    protobuf.util.recursionLimit = limit;
  }
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

describe('nesting depth: what decodes can be encoded again', () => {
  // Traces: request, resource spans, scope spans, span, key-value, then two messages per level.
  const placements = [
    { where: 'span', outerMessages: 5 },
    { where: 'event', outerMessages: 6 },
    { where: 'link', outerMessages: 6 },
  ] as const;

  for (const { where, outerMessages } of placements) {
    it(`holds on both sides of the limit for a ${where} attribute, from JSON and from protobuf`, () => {
      // An array level is AnyValue + ArrayValue; a kvlist level AnyValue + KeyValueList + KeyValue.
      for (const { nest, messagesPerLevel } of [
        { nest: nestedArrays, messagesPerLevel: 2 },
        { nest: nestedKvlists, messagesPerLevel: 3 },
      ]) {
        const deepestAccepted = Math.floor((maxMessageDepth - outerMessages) / messagesPerLevel);
        for (const levels of [deepestAccepted - 1, deepestAccepted, deepestAccepted + 1, deepestAccepted + 40]) {
          const traces = tracesWith(nest(levels), where);
          const jsonBody = encodeTraces(traces, 'json');
          const protobufBody = withoutDepthLimit(() => encodeTraces(traces, 'protobuf'));
          if (levels <= deepestAccepted) {
            const fromJson = decodeTraces(jsonBody, 'json');
            const fromProtobuf = decodeTraces(protobufBody, 'protobuf');
            expect(decodeTraces(encodeTraces(fromJson, 'protobuf'), 'protobuf')).toEqual(traces);
            expect(encodeTraces(fromProtobuf, 'protobuf')).toEqual(protobufBody);
          } else {
            expect(() => decodeTraces(jsonBody, 'json'), `${levels} levels`).toThrow(
              `nested more than ${maxMessageDepth} messages deep, which protobuf cannot encode`,
            );
            expect(() => decodeTraces(protobufBody, 'protobuf'), `${levels} levels`).toThrow(
              `invalid protobuf ExportTraceServiceRequest: messages nested more than ${maxMessageDepth} deep`,
            );
          }
        }
      }
    });
  }

  it('applies the same limit to log bodies, one message shallower than span attributes', () => {
    // Request, resource logs, scope logs, log record, then two messages per array level.
    const deepestAccepted = Math.floor((maxMessageDepth - 4) / 2);
    const accepted = logsWithBody(nestedArrays(deepestAccepted));
    expect(decodeLogs(encodeLogs(decodeLogs(encodeLogs(accepted, 'json'), 'json'), 'protobuf'), 'protobuf')).toEqual(
      accepted,
    );
    const refused = logsWithBody(nestedArrays(deepestAccepted + 1));
    expect(() => decodeLogs(encodeLogs(refused, 'json'), 'json')).toThrow(/^resourceLogs\[0\]\.scopeLogs\[0\]/);
    const refusedBody = withoutDepthLimit(() => encodeLogs(refused, 'protobuf'));
    expect(() => decodeLogs(refusedBody, 'protobuf')).toThrow(/messages nested more than \d+ deep/);
  });

  it('applies it to metrics, which pass through as decoded messages', () => {
    const attribute = (levels: number) => {
      let value: unknown = { stringValue: 'leaf' };
      for (let level = 0; level < levels; level++) value = { arrayValue: { values: [value] } };
      return value;
    };
    const metrics = (levels: number) =>
      json({
        resourceMetrics: [
          {
            scopeMetrics: [
              {
                metrics: [
                  {
                    name: 'm',
                    gauge: { dataPoints: [{ asInt: '1', attributes: [{ key: 'deep', value: attribute(levels) }] }] },
                  },
                ],
              },
            ],
          },
        ],
      });
    // Request, resource metrics, scope metrics, metric, gauge, data point, key-value, then two per level.
    const deepestAccepted = Math.floor((maxMessageDepth - 7) / 2);
    expect(encodeMetrics(decodeMetrics(metrics(deepestAccepted), 'json'), 'protobuf').length).toBeGreaterThan(0);
    expect(() => decodeMetrics(metrics(deepestAccepted + 1), 'json')).toThrow(/nested more than \d+ messages deep/);
  });

  it('shortens the path of a deep value to its two ends', () => {
    const body = encodeTraces(tracesWith(nestedArrays(80), 'span'), 'json');
    let message = '';
    try {
      decodeTraces(body, 'json');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(
      /^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.attributes\[0\]\.value\.arrayValue[.\w[\]]*…[.\w[\]]*\.arrayValue\.values\[0\]: nested more than 100 messages deep/,
    );
    expect(message.length).toBeLessThan(400);
  });
});

describe('64-bit integers written as JSON numbers', () => {
  const span = (fields: Record<string, unknown>) =>
    json({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId, spanId, ...fields }] }] }] });

  it('keeps values beyond 2^53 exact, as the collector does', () => {
    const body = Buffer.from(
      span({ startTimeUnixNano: 0, attributes: [] })
        .toString('utf8')
        .replace('"startTimeUnixNano":0', '"startTimeUnixNano":1700000000123456789')
        .replace(
          '"attributes":[]',
          '"attributes":[{"key":"big","value":{"intValue":9007199254740993}},' +
            '{"key":"min","value":{"intValue":-9223372036854775808}},{"key":"d","value":{"doubleValue":12345678901234567891}}]',
        ),
    );
    const decoded = decodeTraces(body, 'json');
    const decodedSpan = decoded.resourceSpans[0]?.scopeSpans[0]?.spans[0];
    expect(decodedSpan?.startTimeUnixNano).toBe(1700000000123456789n);
    expect(getAttribute(decodedSpan?.attributes ?? [], 'big')).toBe(9007199254740993n);
    expect(getAttribute(decodedSpan?.attributes ?? [], 'min')).toBe(-9223372036854775808n);
    expect(getAttribute(decodedSpan?.attributes ?? [], 'd')).toBe(Number('12345678901234567891'));
  });

  it('still reads safe numbers, and reports out-of-range ones with their exact value', () => {
    const decoded = decodeTraces(span({ startTimeUnixNano: 12, droppedAttributesCount: 3 }), 'json');
    expect(decoded.resourceSpans[0]?.scopeSpans[0]?.spans[0]?.startTimeUnixNano).toBe(12n);
    const tooLarge = Buffer.from(
      span({ startTimeUnixNano: 0 }).toString('utf8').replace(':0', ':18446744073709551616'),
    );
    expect(() => decodeTraces(tooLarge, 'json')).toThrow(
      'resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano: integer 18446744073709551616 out of range',
    );
  });

  it('lets the last duplicate key win in the exact parse too, like JSON.parse', () => {
    const body = Buffer.from(
      `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${traceId}","spanId":"${spanId}","name":"first","name":"last","startTimeUnixNano":9007199254740993}]}]}]}`,
    );
    const decodedSpan = decodeTraces(body, 'json').resourceSpans[0]?.scopeSpans[0]?.spans[0];
    expect(decodedSpan?.name).toBe('last');
    expect(decodedSpan?.startTimeUnixNano).toBe(9007199254740993n);
  });

  it('reports malformed JSON the same way on the exact path', () => {
    expect(() => decodeTraces(Buffer.from('{"a": 9007199254740993,'), 'json')).toThrow(/^invalid JSON: /);
  });
});

describe('strings', () => {
  it('replaces lone UTF-16 surrogates from JSON escapes, which have no UTF-8 form', () => {
    const body = Buffer.from(
      `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${traceId}","spanId":"${spanId}","name":"a\\ud800b","attributes":[{"key":"pair","value":{"stringValue":"\\ud83d\\ude00"}}]}]}]}]}`,
    );
    const decoded = decodeTraces(body, 'json');
    const decodedSpan = decoded.resourceSpans[0]?.scopeSpans[0]?.spans[0];
    expect(decodedSpan?.name).toBe('a\ufffdb');
    expect(getAttribute(decodedSpan?.attributes ?? [], 'pair')).toBe('😀');
    // What goes out must be valid UTF-8, which a strict decoder (this one) accepts.
    expect(decodeTraces(encodeTraces(decoded, 'protobuf'), 'protobuf')).toEqual(decoded);
  });

  it('rejects protobuf strings that are not valid UTF-8, as the collector does', () => {
    const valid = Buffer.from(encodeTraces(tracesWith('ok', 'span'), 'protobuf'));
    const corrupt = Buffer.from(valid);
    corrupt.set([0xc3, 0x28], corrupt.indexOf('deep'));
    expect(() => decodeTraces(corrupt, 'protobuf')).toThrow(/^invalid protobuf ExportTraceServiceRequest: .*utf-8/i);
    const long = Buffer.from(encodeTraces(tracesWith(`${'x'.repeat(100)}ok`, 'span'), 'protobuf'));
    long.set([0xed, 0xa0, 0x80], long.indexOf('ok') - 1); // an encoded lone surrogate
    expect(() => decodeTraces(long, 'protobuf')).toThrow(/utf-8/i);
    const genuineReplacementCharacter = encodeTraces(tracesWith('\ufffd', 'span'), 'protobuf');
    expect(
      getAttribute(
        decodeTraces(genuineReplacementCharacter, 'protobuf').resourceSpans[0]?.scopeSpans[0]?.spans[0]?.attributes ??
          [],
        'deep',
      ),
    ).toBe('\ufffd');
  });
});
