import { describe, expect, it } from 'vitest';
import { CodecError } from './codec-error.js';
import { protoTypes } from './proto-types.js';
import { decodeRpcStatus, encodeRpcStatus } from './rpc-status.js';

describe('google.rpc.Status', () => {
  it('packs RetryInfo as a google.protobuf.Any detail', () => {
    const body = encodeRpcStatus({ code: 14, message: 'memory limit reached', retryDelayMs: 2500 }, 'protobuf');
    const status = protoTypes.status.decode(body) as unknown as {
      code: number;
      message: string;
      details: { type_url: string; value: Uint8Array }[];
    };
    expect(status.code).toBe(14);
    expect(status.message).toBe('memory limit reached');
    expect(status.details).toHaveLength(1);
    expect(status.details[0]?.type_url).toBe('type.googleapis.com/google.rpc.RetryInfo');
    const retryInfo = protoTypes.retryInfo.toObject(protoTypes.retryInfo.decode(status.details[0]!.value), {
      longs: Number,
    });
    expect(retryInfo).toEqual({ retryDelay: { seconds: 2, nanos: 500_000_000 } });
  });

  it('writes the proto3 JSON form with an @type detail and a duration string', () => {
    const body = encodeRpcStatus({ code: 8, message: 'slow down', retryDelayMs: 1500 }, 'json');
    expect(JSON.parse(Buffer.from(body).toString())).toEqual({
      code: 8,
      message: 'slow down',
      details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1.500s' }],
    });
    expect(JSON.parse(Buffer.from(encodeRpcStatus({ code: 3, message: 'bad' }, 'json')).toString())).toEqual({
      code: 3,
      message: 'bad',
    });
  });

  for (const encoding of ['protobuf', 'json'] as const) {
    it(`round-trips through ${encoding}`, () => {
      for (const status of [
        { code: 14, message: 'unavailable', retryDelayMs: 1000 },
        { code: 14, message: 'unavailable', retryDelayMs: 0.25 },
        { code: 3, message: 'invalid span id' },
        { code: 0, message: '' },
      ]) {
        expect(decodeRpcStatus(encodeRpcStatus(status, encoding), encoding)).toEqual(status);
      }
    });
  }

  it('ignores unknown details and decodes an empty body', () => {
    const body = protoTypes.status
      .encode({
        code: 13,
        details: [{ type_url: 'type.googleapis.com/google.rpc.DebugInfo', value: Uint8Array.from([0x12, 0x01, 0x78]) }],
      })
      .finish();
    expect(decodeRpcStatus(body, 'protobuf')).toEqual({ code: 13, message: '' });
    expect(decodeRpcStatus(new Uint8Array(0), 'protobuf')).toEqual({ code: 0, message: '' });
    expect(
      decodeRpcStatus(
        Buffer.from(
          '{"code":14,"details":[{"@type":"x"},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"3s"}]}',
        ),
        'json',
      ),
    ).toEqual({
      code: 14,
      message: '',
      retryDelayMs: 3000,
    });
  });

  it('rejects malformed bodies', () => {
    expect(() => decodeRpcStatus(Uint8Array.from([0x12, 0x05, 0x61]), 'protobuf')).toThrow(CodecError);
    expect(() => decodeRpcStatus(Buffer.from('{"code":"fourteen"}'), 'json')).toThrow(
      'code: expected an integer, got "fourteen"',
    );
    expect(() =>
      decodeRpcStatus(
        Buffer.from('{"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"soon"}]}'),
        'json',
      ),
    ).toThrow('details[].retryDelay: not a duration: "soon"');
    expect(() => encodeRpcStatus({ code: 14, message: '', retryDelayMs: -1 }, 'protobuf')).toThrow(CodecError);
  });
});
