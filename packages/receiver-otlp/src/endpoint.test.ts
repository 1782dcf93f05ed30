import { describe, expect, it } from 'vitest';
import { endpointSchema, formatEndpoint, parseEndpoint } from './endpoint.js';

describe('parseEndpoint', () => {
  it.each([
    ['127.0.0.1:4318', { host: '127.0.0.1', port: 4318 }],
    ['localhost:4317', { host: 'localhost', port: 4317 }],
    ['0.0.0.0:0', { host: '0.0.0.0', port: 0 }],
    ['[::1]:4318', { host: '::1', port: 4318 }],
    ['otel-collector.observability.svc:65535', { host: 'otel-collector.observability.svc', port: 65535 }],
  ])('parses %s', (text, expected) => {
    expect(parseEndpoint(text)).toEqual(expected);
    expect(formatEndpoint(expected)).toBe(text);
  });

  it.each([
    ['', 'endpoint is empty; expected host:port, e.g. 127.0.0.1:4318'],
    ['127.0.0.1', 'endpoint "127.0.0.1" has no port; expected host:port, e.g. 127.0.0.1:4318'],
    [':4318', 'endpoint ":4318" has no host; use 127.0.0.1 for local traffic or 0.0.0.0 for all interfaces'],
    ['127.0.0.1:99999', 'endpoint "127.0.0.1:99999" has an invalid port "99999"; expected an integer from 0 to 65535'],
    ['127.0.0.1:http', 'endpoint "127.0.0.1:http" has an invalid port "http"; expected an integer from 0 to 65535'],
    [
      'http://127.0.0.1:4318',
      'endpoint "http://127.0.0.1:4318" must be host:port without a scheme, e.g. 127.0.0.1:4318',
    ],
    ['::1:4318', 'endpoint "::1:4318" looks like an IPv6 address; write it in brackets, e.g. [::1]:4318'],
    ['[::1:4318', 'endpoint "[::1:4318" has an IPv6 address without a closing "]"'],
    ['[nope]:4318', 'endpoint "[nope]:4318" has an invalid IPv6 address "nope"'],
    ['bad_host!:4318', 'endpoint "bad_host!:4318" has an invalid host "bad_host!"'],
  ])('rejects %j precisely', (text, message) => {
    expect(() => parseEndpoint(text)).toThrow(message);
    const result = endpointSchema.safeParse(text);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe(message);
  });
});
