import { describe, expect, it } from 'vitest';
import { readFixture } from './fixtures.test-support.js';
import { decodeMetrics, encodeMetrics } from './metrics-codec.js';

function canonicalJson(body: Uint8Array): unknown {
  return JSON.parse(Buffer.from(body).toString('utf8'));
}

describe('metrics codec', () => {
  it('counts data points at decode', () => {
    // counter (2 routes) + up-down counter + histogram + exponential histogram + double counter + gauge (2 rooms)
    expect(decodeMetrics(readFixture('metrics.pb'), 'protobuf').dataPointCount).toBe(8);
    expect(decodeMetrics(readFixture('metrics.json'), 'json').dataPointCount).toBe(8);
  });

  it('passes protobuf through unchanged: decode, encode, decode', () => {
    const metrics = decodeMetrics(readFixture('metrics.pb'), 'protobuf');
    const again = decodeMetrics(encodeMetrics(metrics, 'protobuf'), 'protobuf');
    expect(canonicalJson(encodeMetrics(again, 'json'))).toEqual(canonicalJson(encodeMetrics(metrics, 'json')));
    expect(encodeMetrics(again, 'protobuf')).toEqual(encodeMetrics(metrics, 'protobuf'));
  });

  it('converts protobuf to JSON and back without loss', () => {
    const metrics = decodeMetrics(readFixture('metrics.pb'), 'protobuf');
    const viaJson = decodeMetrics(encodeMetrics(metrics, 'json'), 'json');
    expect(viaJson.dataPointCount).toBe(metrics.dataPointCount);
    expect(Buffer.from(encodeMetrics(viaJson, 'protobuf'))).toEqual(Buffer.from(encodeMetrics(metrics, 'protobuf')));
  });

  it('converts the SDK JSON to protobuf and back without loss', () => {
    const metrics = decodeMetrics(readFixture('metrics.json'), 'json');
    const viaProtobuf = decodeMetrics(encodeMetrics(metrics, 'protobuf'), 'protobuf');
    expect(canonicalJson(encodeMetrics(viaProtobuf, 'json'))).toEqual(canonicalJson(encodeMetrics(metrics, 'json')));
    const json = canonicalJson(encodeMetrics(metrics, 'json')) as {
      resourceMetrics: {
        scopeMetrics: { metrics: { name: string; exponentialHistogram?: { dataPoints: { count: string }[] } }[] }[];
      }[];
    };
    const tokenUsage = json.resourceMetrics[0]?.scopeMetrics[0]?.metrics.find(
      (metric) => metric.name === 'token.usage',
    );
    expect(tokenUsage?.exponentialHistogram?.dataPoints[0]?.count).toBe('4');
  });

  it('keeps every metric kind, exemplar ids as hex and int/double values exact', () => {
    const body = {
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
          scopeMetrics: [
            {
              scope: { name: 'meter' },
              metrics: [
                {
                  name: 'gauge',
                  gauge: {
                    dataPoints: [
                      {
                        asInt: '-9223372036854775808',
                        timeUnixNano: '18446744073709551615',
                        exemplars: [
                          {
                            asDouble: 0,
                            traceId: '5B8EFFF798038103D269B633813FC60C',
                            spanId: 'eee19b7ec3c1b173',
                            timeUnixNano: '1',
                          },
                        ],
                      },
                      { asDouble: 0, flags: 1 },
                    ],
                  },
                  metadata: [{ key: 'm', value: { boolValue: true } }],
                },
                {
                  name: 'sum',
                  sum: {
                    dataPoints: [{ asDouble: 'NaN' }],
                    aggregationTemporality: 'AGGREGATION_TEMPORALITY_DELTA',
                    isMonotonic: true,
                  },
                },
                {
                  name: 'histogram',
                  histogram: {
                    dataPoints: [{ count: 3, sum: 0, bucketCounts: ['1', 2], explicitBounds: [1.5], min: 0, max: 9 }],
                    aggregationTemporality: 2,
                  },
                },
                {
                  name: 'summary',
                  summary: {
                    dataPoints: [
                      {
                        count: '2',
                        sum: 3,
                        quantileValues: [
                          { quantile: 0.5, value: 1 },
                          { quantile: 1, value: 2 },
                        ],
                      },
                    ],
                  },
                },
                { name: 'empty' },
              ],
            },
          ],
        },
      ],
    };
    const metrics = decodeMetrics(Buffer.from(JSON.stringify(body)), 'json');
    expect(metrics.dataPointCount).toBe(5);
    const expected = structuredClone(body) as typeof body;
    const gauge = expected.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.gauge!;
    gauge.dataPoints[0]!.exemplars![0]!.traceId = '5b8efff798038103d269b633813fc60c';
    (
      expected.resourceMetrics[0]!.scopeMetrics[0]!.metrics[1] as { sum: { aggregationTemporality: unknown } }
    ).sum.aggregationTemporality = 1;
    (
      expected.resourceMetrics[0]!.scopeMetrics[0]!.metrics[2] as {
        histogram: { dataPoints: { count: unknown; bucketCounts: unknown }[] };
      }
    ).histogram.dataPoints[0] = {
      ...(expected.resourceMetrics[0]!.scopeMetrics[0]!.metrics[2] as { histogram: { dataPoints: object[] } }).histogram
        .dataPoints[0],
      count: '3',
      bucketCounts: ['1', '2'],
    };
    const viaProtobuf = decodeMetrics(encodeMetrics(metrics, 'protobuf'), 'protobuf');
    // Oneof members and proto3 `optional` fields keep their presence even at zero (asDouble: 0, sum: 0, min: 0).
    expect(canonicalJson(encodeMetrics(viaProtobuf, 'json'))).toEqual(expected);
  });

  it('rejects malformed metrics', () => {
    expect(() => decodeMetrics(Uint8Array.from([0x0a, 0x10]), 'protobuf')).toThrow(
      /^invalid protobuf ExportMetricsServiceRequest/,
    );
    const bad = {
      resourceMetrics: [
        { scopeMetrics: [{ metrics: [{ gauge: { dataPoints: [{ exemplars: [{ spanId: 'q' }] }] } }] }] },
      ],
    };
    expect(() => decodeMetrics(Buffer.from(JSON.stringify(bad)), 'json')).toThrow(
      'resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0].exemplars[0].spanId: not hex: "q"',
    );
  });
});
