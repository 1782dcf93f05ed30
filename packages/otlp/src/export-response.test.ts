import { describe, expect, it } from 'vitest';
import { CodecError } from './codec-error.js';
import { decodeExportResponse, encodeExportResponse } from './export-response.js';
import { grpcExportPaths } from './grpc-export-paths.js';
import { protoTypes } from './proto-types.js';

describe('export responses', () => {
  it('encodes full success as zero bytes (protobuf) and {} (JSON)', () => {
    expect(encodeExportResponse('traces', undefined, 'protobuf')).toHaveLength(0);
    expect(Buffer.from(encodeExportResponse('logs', undefined, 'json')).toString()).toBe('{}');
    expect(decodeExportResponse('traces', new Uint8Array(0), 'protobuf')).toBeUndefined();
    expect(decodeExportResponse('metrics', Buffer.from('{}'), 'json')).toBeUndefined();
  });

  it('uses the signal-specific rejected field', () => {
    const partial = { rejected: 3, errorMessage: 'three spans had invalid ids' };
    expect(JSON.parse(Buffer.from(encodeExportResponse('traces', partial, 'json')).toString())).toEqual({
      partialSuccess: { rejectedSpans: '3', errorMessage: 'three spans had invalid ids' },
    });
    expect(JSON.parse(Buffer.from(encodeExportResponse('logs', partial, 'json')).toString())).toEqual({
      partialSuccess: { rejectedLogRecords: '3', errorMessage: 'three spans had invalid ids' },
    });
    expect(JSON.parse(Buffer.from(encodeExportResponse('metrics', partial, 'json')).toString())).toEqual({
      partialSuccess: { rejectedDataPoints: '3', errorMessage: 'three spans had invalid ids' },
    });
    const protobuf = encodeExportResponse('metrics', partial, 'protobuf');
    const decoded = protoTypes.exportMetricsServiceResponse.toObject(
      protoTypes.exportMetricsServiceResponse.decode(protobuf),
      {
        longs: String,
      },
    );
    expect(decoded).toEqual({
      partialSuccess: { rejectedDataPoints: '3', errorMessage: 'three spans had invalid ids' },
    });
  });

  for (const encoding of ['protobuf', 'json'] as const) {
    it(`round-trips partial success and warnings through ${encoding}`, () => {
      for (const signal of ['traces', 'logs', 'metrics'] as const) {
        const partial = { rejected: 2 ** 40, errorMessage: 'too many' };
        expect(decodeExportResponse(signal, encodeExportResponse(signal, partial, encoding), encoding)).toEqual(
          partial,
        );
        const warning = { rejected: 0, errorMessage: 'deprecated attribute' };
        expect(decodeExportResponse(signal, encodeExportResponse(signal, warning, encoding), encoding)).toEqual(
          warning,
        );
      }
    });
  }

  it('treats an all-default partial_success as full success, as the spec says', () => {
    expect(decodeExportResponse('traces', Uint8Array.from([0x0a, 0x00]), 'protobuf')).toBeUndefined();
    expect(decodeExportResponse('traces', Buffer.from('{"partialSuccess":{}}'), 'json')).toBeUndefined();
    expect(decodeExportResponse('traces', Buffer.from('{"partial_success":{"rejected_spans":5}}'), 'json')).toEqual({
      rejected: 5,
      errorMessage: '',
    });
  });

  it('rejects malformed responses and impossible counts', () => {
    expect(() => decodeExportResponse('traces', Uint8Array.from([0x0a, 0x09]), 'protobuf')).toThrow(CodecError);
    expect(() => decodeExportResponse('traces', Buffer.from('<html>'), 'json')).toThrow(/^invalid JSON/);
    expect(() => encodeExportResponse('traces', { rejected: -1, errorMessage: '' }, 'json')).toThrow(CodecError);
  });

  it('names the gRPC export methods', () => {
    expect(grpcExportPaths).toEqual({
      traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
      logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
      metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
    });
  });
});
