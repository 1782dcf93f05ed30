import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { Exporter } from '@semtel/component';
import { PermanentError, RetryableError } from '@semtel/component';
import { decodeLogs, decodeTraces, encodeExportResponse, encodeRpcStatus } from '@semtel/otlp';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { otlpHttpExporterFactory } from './otlp-http-exporter-factory.js';
import { signalUrl } from './otlp-http-transport.js';
import type { RecordingTelemetry } from './testing/recording-telemetry.js';
import { recordingTelemetry } from './testing/recording-telemetry.js';
import { sampleLogs, sampleTraces } from './testing/sample-data.js';
import type { SelfSignedCertificate } from './testing/self-signed-certificate.js';
import { createSelfSignedCertificate, opensslAvailable } from './testing/self-signed-certificate.js';

interface ReceivedRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  /** Decompressed. */
  body: Buffer;
  at: number;
}

type Respond = (request: ReceivedRequest, response: http.ServerResponse, index: number) => void;

interface TestServer {
  url: string;
  received: ReceivedRequest[];
  connections: number;
  close(): Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startServer(respond: Respond, tls?: SelfSignedCertificate): Promise<TestServer> {
  const received: ReceivedRequest[] = [];
  const handler = (request: http.IncomingMessage, response: http.ServerResponse): void => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = request.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      const entry = { path: request.url ?? '', headers: request.headers, body, at: performance.now() };
      received.push(entry);
      respond(entry, response, received.length - 1);
    });
  };
  const server =
    tls === undefined ? http.createServer(handler) : https.createServer({ cert: tls.cert, key: tls.key }, handler);
  const state = { connections: 0 };
  server.on(tls === undefined ? 'connection' : 'secureConnection', () => (state.connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = async (): Promise<void> => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  cleanups.push(close);
  return {
    url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    received,
    get connections() {
      return state.connections;
    },
    close,
  };
}

function ok(response: http.ServerResponse): void {
  response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
}

function fail(
  response: http.ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  response
    .writeHead(status, { 'content-type': 'application/x-protobuf', ...headers })
    .end(Buffer.from(encodeRpcStatus({ code: status === 400 ? 3 : 14, message }, 'protobuf')));
}

const fastRetry = { initial_interval: '10ms', max_interval: '50ms', max_elapsed_time: '5s' };

function createExporter(config: Record<string, unknown>): { exporter: Exporter; telemetry: RecordingTelemetry } {
  const telemetry = recordingTelemetry();
  const exporter = otlpHttpExporterFactory.create(
    { id: { type: 'otlp_http', name: '' }, telemetry },
    otlpHttpExporterFactory.configSchema.parse({ retry_on_failure: fastRetry, ...config }),
  );
  cleanups.push(() => exporter.shutdown(AbortSignal.timeout(2000)));
  return { exporter, telemetry };
}

const host = { reportFatalError: () => undefined };
const labels = { exporter: 'otlp_http' };

async function waitFor(condition: () => boolean): Promise<void> {
  for (let round = 0; round < 1000 && !condition(); round += 1) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('otlp_http config', () => {
  it('has the collector defaults', () => {
    const config = otlpHttpExporterFactory.configSchema.parse({ endpoint: 'https://api.honeycomb.io' });
    expect(config).toMatchObject({
      encoding: 'proto',
      compression: 'gzip',
      timeout: 30_000,
      headers: {},
      sending_queue: { enabled: true, num_consumers: 10, queue_size: 1000 },
      retry_on_failure: {
        enabled: true,
        initial_interval: 5000,
        max_interval: 30_000,
        max_elapsed_time: 300_000,
        multiplier: 1.5,
        randomization_factor: 0.5,
      },
      tls: { insecure_skip_verify: false },
    });
  });

  it('reports every problem with its path', () => {
    const result = otlpHttpExporterFactory.configSchema.safeParse({
      endpoint: 'ftp://x',
      encoding: 'xml',
      timeout: '30',
      retry_on_failure: { initial_interval: '10s', max_interval: '1s' },
      tls: { cert_file: 'a.pem' },
      unknown: true,
    });
    const paths = result.error?.issues.map((issue) => issue.path.join('.')).sort();
    expect(paths).toEqual(['', 'encoding', 'endpoint', 'retry_on_failure.max_interval', 'timeout', 'tls.key_file']);
  });

  it('requires an endpoint', () => {
    expect(otlpHttpExporterFactory.configSchema.safeParse({}).error?.issues[0]?.path).toEqual(['endpoint']);
    expect(otlpHttpExporterFactory.configSchema.safeParse({ traces_endpoint: 'http://127.0.0.1:1/x' }).success).toBe(
      true,
    );
  });

  it('appends the signal path to the endpoint path', () => {
    expect(signalUrl('https://api.honeycomb.io', 'traces').href).toBe('https://api.honeycomb.io/v1/traces');
    expect(signalUrl('http://collector:4318/otlp/', 'logs').href).toBe('http://collector:4318/otlp/v1/logs');
    expect(signalUrl('http://collector:4318/otlp', 'metrics').href).toBe('http://collector:4318/otlp/v1/metrics');
  });
});

describe('otlp_http exporter against a real server', () => {
  it('sends gzip protobuf with the configured headers and reuses the connection', async () => {
    const server = await startServer((_request, response) => ok(response));
    const { exporter, telemetry } = createExporter({
      endpoint: server.url,
      headers: { 'x-honeycomb-team': 'secret-key' },
      sending_queue: { enabled: false },
    });
    await exporter.start(host);
    const traces = sampleTraces(2);
    await exporter.consumeTraces?.(traces);
    await exporter.consumeTraces?.(sampleTraces(1));
    await exporter.consumeTraces?.(sampleTraces(1));
    expect(server.received).toHaveLength(3);
    const first = server.received[0];
    expect(first?.path).toBe('/v1/traces');
    expect(first?.headers['content-type']).toBe('application/x-protobuf');
    expect(first?.headers['content-encoding']).toBe('gzip');
    expect(first?.headers['x-honeycomb-team']).toBe('secret-key');
    expect(decodeTraces(first?.body ?? Buffer.alloc(0), 'protobuf')).toEqual(traces);
    expect(server.connections).toBe(1);
    expect(telemetry.counter('otelcol_exporter_sent_spans', labels)).toBe(4);
  });

  it('sends uncompressed JSON when configured', async () => {
    const server = await startServer((_request, response) =>
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}'),
    );
    const { exporter, telemetry } = createExporter({
      endpoint: `${server.url}/otlp`,
      encoding: 'json',
      compression: 'none',
    });
    await exporter.start(host);
    const logs = sampleLogs(3);
    await exporter.consumeLogs?.(logs);
    await waitFor(() => telemetry.counter('otelcol_exporter_sent_log_records', labels) === 3);
    const request = server.received[0];
    expect(request?.path).toBe('/otlp/v1/logs');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(request?.body.toString('utf8') ?? '')).toHaveProperty('resourceLogs');
    expect(decodeLogs(request?.body ?? Buffer.alloc(0), 'json')).toEqual(logs);
  });

  it('uses a signal endpoint as-is', async () => {
    const server = await startServer((_request, response) => ok(response));
    const { exporter } = createExporter({
      endpoint: 'http://127.0.0.1:9',
      traces_endpoint: `${server.url}/custom/traces`,
      sending_queue: { enabled: false },
    });
    await exporter.consumeTraces?.(sampleTraces(1));
    expect(server.received.map((request) => request.path)).toEqual(['/custom/traces']);
  });

  it('retries 503 until it succeeds and delivers once', async () => {
    const server = await startServer((_request, response, index) =>
      index < 2 ? fail(response, 503, 'overloaded') : ok(response),
    );
    const { exporter, telemetry } = createExporter({ endpoint: server.url });
    await exporter.consumeTraces?.(sampleTraces(2));
    await waitFor(() => telemetry.counter('otelcol_exporter_sent_spans', labels) === 2);
    expect(server.received).toHaveLength(3);
    const retries = telemetry.logs.filter(
      (entry) => entry.message === 'Exporting failed. Will retry the request after interval.',
    );
    expect(retries).toHaveLength(2);
    expect(retries[0]?.fields.error).toContain('HTTP 503');
    expect(retries[0]?.fields.error).toContain('overloaded');
    expect(telemetry.counter('otelcol_exporter_send_failed_spans', labels)).toBe(0);
  });

  it('honours Retry-After', async () => {
    const server = await startServer((_request, response, index) =>
      index === 0 ? fail(response, 429, 'slow down', { 'retry-after': '1' }) : ok(response),
    );
    const { exporter, telemetry } = createExporter({ endpoint: server.url, sending_queue: { enabled: false } });
    await exporter.consumeTraces?.(sampleTraces(1));
    expect(server.received).toHaveLength(2);
    const retry = telemetry.logs.find((entry) => entry.message.includes('Will retry'));
    expect(retry?.fields.interval).toBe('1s');
    const [first, second] = server.received;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(900);
  });

  it('does not retry 400 and reports the server message', async () => {
    const server = await startServer((_request, response) => fail(response, 400, 'trace id must be 16 bytes'));
    const { exporter, telemetry } = createExporter({ endpoint: server.url, sending_queue: { enabled: false } });
    const error = await rejection(exporter.consumeTraces?.(sampleTraces(2)) ?? Promise.resolve());
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as PermanentError).badData).toBe(true);
    expect((error as Error).message).toContain('trace id must be 16 bytes');
    expect(server.received).toHaveLength(1);
    expect(telemetry.counter('otelcol_exporter_send_failed_spans', labels)).toBe(2);
  });

  it('logs a partial success and does not retry it', async () => {
    const server = await startServer((_request, response) =>
      response
        .writeHead(200, { 'content-type': 'application/x-protobuf' })
        .end(
          Buffer.from(encodeExportResponse('traces', { rejected: 1, errorMessage: 'span 1 too large' }, 'protobuf')),
        ),
    );
    const { exporter, telemetry } = createExporter({ endpoint: server.url, sending_queue: { enabled: false } });
    await exporter.consumeTraces?.(sampleTraces(3));
    expect(server.received).toHaveLength(1);
    const warning = telemetry.logs.find((entry) => entry.level === 'warn');
    expect(warning?.message).toBe('Partial success response');
    expect(warning?.fields).toMatchObject({ message: 'span 1 too large', dropped_spans: 1 });
    expect(telemetry.counter('otelcol_exporter_send_failed_spans', labels)).toBe(1);
    expect(telemetry.counter('otelcol_exporter_sent_spans', labels)).toBe(2);
  });

  it('counts an unparseable 2xx body as sent and warns, since the backend took the data', async () => {
    const server = await startServer((_request, response, index) => {
      if (index === 0) response.writeHead(200, { 'content-type': 'text/html' }).end('<html>proxy says ok</html>');
      else response.writeHead(202, { 'content-type': 'application/x-protobuf' }).end(Buffer.alloc(5 * 1024 * 1024, 1));
    });
    for (const queue of [{ enabled: false }, { enabled: true }]) {
      const { exporter, telemetry } = createExporter({ endpoint: server.url, sending_queue: queue });
      await exporter.consumeTraces?.(sampleTraces(2));
      await exporter.shutdown();
      expect(telemetry.counter('otelcol_exporter_sent_spans', labels)).toBe(2);
      expect(telemetry.counter('otelcol_exporter_send_failed_spans', labels)).toBe(0);
      expect(telemetry.logs.filter((entry) => entry.level === 'error')).toEqual([]);
      const warning = telemetry.logs.find((entry) => entry.level === 'warn');
      expect(warning?.message).toMatch(
        queue.enabled
          ? /^HTTP 202 with a body over 4194304 bytes; the data counts as delivered/
          : /^HTTP 200 with a body that cannot be parsed as an export response: .*; the data counts as delivered/,
      );
      expect(warning?.fields).toMatchObject({ signal: 'traces', url: `${server.url}/v1/traces` });
    }
    expect(server.received).toHaveLength(2);
  });

  it('times out each attempt against a hanging server and retries', async () => {
    const server = await startServer(() => undefined);
    const { exporter, telemetry } = createExporter({
      endpoint: server.url,
      timeout: '100ms',
      sending_queue: { enabled: false },
      retry_on_failure: { ...fastRetry, max_elapsed_time: '400ms' },
    });
    const error = await rejection(exporter.consumeTraces?.(sampleTraces(1)) ?? Promise.resolve());
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as Error).message).toContain('timed out after 100ms');
    expect(server.received.length).toBeGreaterThanOrEqual(2);
    expect(telemetry.counter('otelcol_exporter_send_failed_spans', labels)).toBe(1);
  });

  it('answers a full queue with a throttled RetryableError', async () => {
    const server = await startServer(() => undefined);
    const { exporter, telemetry } = createExporter({
      endpoint: server.url,
      timeout: '5s',
      sending_queue: { queue_size: 1, num_consumers: 1 },
    });
    await exporter.consumeTraces?.(sampleTraces(1));
    await waitFor(() => server.received.length === 1);
    await exporter.consumeTraces?.(sampleTraces(1));
    const error = await rejection(exporter.consumeTraces?.(sampleTraces(2)) ?? Promise.resolve());
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as RetryableError).throttled).toBe(true);
    expect(telemetry.counter('otelcol_exporter_enqueue_failed_spans', labels)).toBe(2);
    await exporter.shutdown(AbortSignal.timeout(50));
    expect(telemetry.counter('otelcol_exporter_send_failed_spans', labels)).toBe(2);
  });

  it('retries a refused connection', async () => {
    const server = await startServer((_request, response) => ok(response));
    const url = server.url;
    await server.close();
    const { exporter } = createExporter({
      endpoint: url,
      sending_queue: { enabled: false },
      retry_on_failure: { enabled: false },
    });
    const error = await rejection(exporter.consumeTraces?.(sampleTraces(1)) ?? Promise.resolve());
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as Error).message).toContain('ECONNREFUSED');
  });

  it('drains the queue on shutdown, retrying until delivered', async () => {
    const server = await startServer((_request, response, index) =>
      index < 3 ? fail(response, 503, 'warming up') : ok(response),
    );
    const { exporter, telemetry } = createExporter({ endpoint: server.url, sending_queue: { num_consumers: 2 } });
    await exporter.consumeTraces?.(sampleTraces(1));
    await exporter.consumeTraces?.(sampleTraces(2));
    await exporter.consumeLogs?.(sampleLogs(2));
    await exporter.shutdown(AbortSignal.timeout(10_000));
    expect(telemetry.counter('otelcol_exporter_sent_spans', labels)).toBe(3);
    expect(telemetry.counter('otelcol_exporter_sent_log_records', labels)).toBe(2);
    expect(telemetry.logs.some((entry) => entry.message.includes('not delivered'))).toBe(false);
    await exporter.shutdown();
  });
});

describe.skipIf(!opensslAvailable())('otlp_http exporter over TLS', () => {
  let certificate: SelfSignedCertificate;
  beforeAll(() => {
    certificate = createSelfSignedCertificate();
  });

  it('trusts a server signed by ca_file', async () => {
    const server = await startServer((_request, response) => ok(response), certificate);
    const { exporter } = createExporter({
      endpoint: server.url,
      tls: { ca_file: certificate.certFile },
      sending_queue: { enabled: false },
    });
    await exporter.start(host);
    await exporter.consumeTraces?.(sampleTraces(1));
    expect(server.received).toHaveLength(1);
  });

  it('refuses an unknown certificate unless insecure_skip_verify', async () => {
    const server = await startServer((_request, response) => ok(response), certificate);
    const strict = createExporter({
      endpoint: server.url,
      sending_queue: { enabled: false },
      retry_on_failure: { enabled: false },
    });
    await strict.exporter.start(host);
    const error = await rejection(strict.exporter.consumeTraces?.(sampleTraces(1)) ?? Promise.resolve());
    expect((error as Error).message).toMatch(/self[- ]signed/i);

    const relaxed = createExporter({
      endpoint: server.url,
      tls: { insecure_skip_verify: true },
      sending_queue: { enabled: false },
    });
    await relaxed.exporter.start(host);
    await relaxed.exporter.consumeTraces?.(sampleTraces(1));
    expect(server.received).toHaveLength(1);
  });

  it('fails to start when ca_file cannot be read', async () => {
    const { exporter } = createExporter({ endpoint: 'https://127.0.0.1:1', tls: { ca_file: '/nonexistent/ca.pem' } });
    await expect(exporter.start(host)).rejects.toThrow(/tls\.ca_file: cannot read "\/nonexistent\/ca\.pem"/);
  });
});
