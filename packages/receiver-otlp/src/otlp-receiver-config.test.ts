import { describe, expect, it } from 'vitest';
import { otlpReceiverConfigSchema } from './otlp-receiver-config.js';

const defaultAdmission = { request_limit_mib: 128 };
const defaultGrpc = {
  endpoint: '127.0.0.1:4317',
  max_recv_msg_size_mib: 16,
  stream_window_mib: 1,
  connection_window_mib: 16,
};
const defaultHttp = {
  endpoint: '127.0.0.1:4318',
  max_request_body_size: 20_971_520,
  traces_url_path: '/v1/traces',
  logs_url_path: '/v1/logs',
  metrics_url_path: '/v1/metrics',
};

function issues(input: unknown): { path: string; message: string }[] {
  const result = otlpReceiverConfigSchema.safeParse(input);
  expect(result.success).toBe(false);
  return (result.error?.issues ?? []).map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}

describe('otlpReceiverConfigSchema', () => {
  it('enables both protocols with defaults when nothing is configured', () => {
    const defaults = { admission: defaultAdmission, protocols: { grpc: defaultGrpc, http: defaultHttp } };
    expect(otlpReceiverConfigSchema.parse({})).toEqual(defaults);
    expect(otlpReceiverConfigSchema.parse(undefined)).toEqual(defaults);
  });

  it('enables only the protocols that are present; an empty YAML key means defaults', () => {
    expect(otlpReceiverConfigSchema.parse({ protocols: { http: null } })).toEqual({
      admission: defaultAdmission,
      protocols: { http: defaultHttp },
    });
    expect(otlpReceiverConfigSchema.parse({ protocols: { grpc: {} } })).toEqual({
      admission: defaultAdmission,
      protocols: { grpc: defaultGrpc },
    });
  });

  it('bounds the request bytes in flight, 128 MiB unless set, and refuses a bound of 0', () => {
    expect(otlpReceiverConfigSchema.parse({ admission: { request_limit_mib: 8 } }).admission).toEqual({
      request_limit_mib: 8,
    });
    expect(issues({ admission: { request_limit_mib: 0 } })).toEqual([
      { path: 'admission.request_limit_mib', message: 'request_limit_mib must be greater than 0' },
    ]);
    expect(issues({ admission: { waiting_limit_mib: 1 } })[0]?.path).toBe('admission');
  });

  it('keeps explicit settings and adds the leading slash to paths', () => {
    const config = otlpReceiverConfigSchema.parse({
      protocols: {
        grpc: {
          endpoint: '0.0.0.0:14317',
          max_recv_msg_size_mib: 64,
          stream_window_mib: 0.5,
          connection_window_mib: 4,
        },
        http: { endpoint: 'localhost:14318', max_request_body_size: 1024, traces_url_path: 'otlp/traces' },
      },
    });
    expect(config.protocols.grpc).toEqual({
      endpoint: '0.0.0.0:14317',
      max_recv_msg_size_mib: 64,
      stream_window_mib: 0.5,
      connection_window_mib: 4,
    });
    expect(config.protocols.http).toMatchObject({
      endpoint: 'localhost:14318',
      max_request_body_size: 1024,
      traces_url_path: '/otlp/traces',
    });
  });

  it('reports invalid endpoints with their paths', () => {
    expect(issues({ protocols: { grpc: { endpoint: '4317' }, http: { endpoint: 'localhost:70000' } } })).toEqual([
      {
        path: 'protocols.grpc.endpoint',
        message: 'endpoint "4317" has no port; expected host:port, e.g. 127.0.0.1:4318',
      },
      {
        path: 'protocols.http.endpoint',
        message: 'endpoint "localhost:70000" has an invalid port "70000"; expected an integer from 0 to 65535',
      },
    ]);
  });

  it('reports limits, duplicate paths, unknown keys and no protocol at all', () => {
    expect(issues({ protocols: { grpc: { max_recv_msg_size_mib: 0 } } })).toEqual([
      { path: 'protocols.grpc.max_recv_msg_size_mib', message: 'max_recv_msg_size_mib must be at least 1' },
    ]);
    expect(issues({ protocols: { grpc: { stream_window_mib: 0.01, connection_window_mib: 4096 } } })).toEqual([
      {
        path: 'protocols.grpc.stream_window_mib',
        message: 'stream_window_mib must be at least 0.0625 (64 KiB, the HTTP/2 default)',
      },
      {
        path: 'protocols.grpc.connection_window_mib',
        message: 'connection_window_mib must be at most 2047 (HTTP/2 windows are limited to 2 GiB)',
      },
    ]);
    expect(issues({ protocols: { http: { max_request_body_size: 1.5 } } })).toEqual([
      {
        path: 'protocols.http.max_request_body_size',
        message: 'max_request_body_size must be a whole number of bytes',
      },
    ]);
    expect(issues({ protocols: { http: { logs_url_path: '/v1/traces' } } })).toEqual([
      {
        path: 'protocols.http.logs_url_path',
        message: 'logs_url_path "/v1/traces" is already used by traces_url_path; each signal needs its own path',
      },
    ]);
    expect(issues({ protocols: { http: { tls: {} } } })[0]?.path).toBe('protocols.http');
    expect(issues({ protocols: {} })).toEqual([
      { path: 'protocols', message: 'enable at least one protocol: add "grpc" and/or "http" under protocols' },
    ]);
  });
});
