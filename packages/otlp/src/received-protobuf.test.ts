import { describe, expect, it } from 'vitest';
import { receivedProtobuf, withReceivedProtobuf } from './received-protobuf.js';

describe('withReceivedProtobuf', () => {
  it('keeps the body on record for the data while the hand-over runs, and only then', async () => {
    const data = { resourceSpans: [] };
    const body = new Uint8Array([10, 0]);
    let during: Uint8Array | undefined;
    const result = await withReceivedProtobuf(data, body, () => {
      during = receivedProtobuf(data);
      return Promise.resolve('handed over');
    });
    expect(result).toBe('handed over');
    expect(during).toBe(body);
    expect(receivedProtobuf(data)).toBeUndefined();
  });

  it('forgets the body when the hand-over fails, and passes the failure on', async () => {
    const data = { resourceSpans: [] };
    const failure = new Error('refused');
    await expect(withReceivedProtobuf(data, new Uint8Array(0), () => Promise.reject(failure))).rejects.toBe(failure);
    expect(receivedProtobuf(data)).toBeUndefined();
  });

  it('has no body for other data, a copy included', async () => {
    const data = { resourceSpans: [] };
    await withReceivedProtobuf(data, new Uint8Array([10, 0]), () => {
      expect(receivedProtobuf(structuredClone(data))).toBeUndefined();
      expect(receivedProtobuf({ resourceSpans: [] })).toBeUndefined();
      return Promise.resolve();
    });
  });
});
