import { request as httpRequest } from 'node:http';
import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { PermanentError, RetryableError } from '@semtel/component';
import type { Encoding } from '@semtel/otlp';
import {
  decodeExportResponse,
  decodeMetrics,
  decodeRpcStatus,
  decodeTraces,
  encodeLogs,
  encodeMetrics,
  encodeTraces,
} from '@semtel/otlp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OtlpReceiver } from './otlp-receiver.js';
import { otlpReceiverFactory } from './otlp-receiver-factory.js';
import type { HttpReply, RecordingMeter } from './test-support.js';
import {
  RecordingConsumer,
  recordingTelemetry,
  sampleLogs,
  sampleMetricsJson,
  sampleTraces,
  sendHttp,
} from './test-support.js';

const protobuf = { 'Content-Type': 'application/x-protobuf' };
const json = { 'Content-Type': 'application/json' };
const mebibyte = 1024 * 1024;

let receiver: OtlpReceiver;
let consumer: RecordingConsumer;
let meter: RecordingMeter;
let baseUrl: string;

async function startReceiver(http: Record<string, unknown> = {}, consumers = ['traces', 'logs', 'metrics']) {
  consumer = new RecordingConsumer();
  const telemetry = recordingTelemetry();
  meter = telemetry.meter;
  const config = otlpReceiverFactory.configSchema.parse({ protocols: { http: { endpoint: '127.0.0.1:0', ...http } } });
  const next = Object.fromEntries(consumers.map((signal) => [signal, consumer]));
  receiver = otlpReceiverFactory.create(
    { id: { type: 'otlp', name: '' }, telemetry: telemetry.telemetry },
    config,
    next,
  );
  await receiver.start({ reportFatalError: () => undefined });
  baseUrl = `http://${receiver.addresses().http ?? ''}`;
}

function post(path: string, body: Uint8Array, headers: Record<string, string | number> = protobuf) {
  return sendHttp(`${baseUrl}${path}`, { headers, body });
}

function statusOf(reply: HttpReply, encoding: Encoding) {
  return decodeRpcStatus(new Uint8Array(reply.body), encoding);
}

/** Every failure case ends with this: the server must go on serving good requests. */
async function expectStillServing(): Promise<void> {
  const before = consumer.traces.length;
  const reply = await post('/v1/traces', encodeTraces(sampleTraces(1), 'protobuf'));
  expect(reply.status).toBe(200);
  expect(consumer.traces.length).toBe(before + 1);
}

afterEach(async () => {
  await receiver.shutdown();
});

describe('OTLP/HTTP success', () => {
  beforeEach(() => startReceiver());

  it('accepts protobuf traces and answers with an empty protobuf export response', async () => {
    const traces = sampleTraces(3);
    const reply = await post('/v1/traces', encodeTraces(traces, 'protobuf'));
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/x-protobuf');
    expect(decodeExportResponse('traces', new Uint8Array(reply.body), 'protobuf')).toBeUndefined();
    expect(consumer.traces).toHaveLength(1);
    expect(consumer.traces[0]).toEqual(traces);
    expect(meter.total('otelcol_receiver_accepted_spans', { receiver: 'otlp', transport: 'http' })).toBe(3);
  });

  it('accepts JSON with a charset parameter and answers in JSON', async () => {
    const traces = sampleTraces(2);
    const reply = await post('/v1/traces', encodeTraces(traces, 'json'), {
      'Content-Type': 'application/json; charset=utf-8',
    });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/json');
    expect(JSON.parse(reply.body.toString('utf8'))).toEqual({});
    expect(consumer.traces[0]).toEqual(traces);
  });

  it('accepts logs and metrics on their own paths and counts their items', async () => {
    const logs = sampleLogs(4);
    const logsReply = await post('/v1/logs', encodeLogs(logs, 'protobuf'));
    expect(logsReply.status).toBe(200);
    expect(decodeExportResponse('logs', new Uint8Array(logsReply.body), 'protobuf')).toBeUndefined();
    expect(consumer.logs[0]).toEqual(logs);

    const metrics = encodeMetrics(decodeMetrics(new TextEncoder().encode(sampleMetricsJson), 'json'), 'protobuf');
    const metricsReply = await post('/v1/metrics', metrics);
    expect(metricsReply.status).toBe(200);
    expect(consumer.metrics[0]?.dataPointCount).toBe(2);

    const labels = { receiver: 'otlp', transport: 'http' };
    expect(meter.total('otelcol_receiver_accepted_log_records', labels)).toBe(4);
    expect(meter.total('otelcol_receiver_accepted_metric_points', labels)).toBe(2);
  });

  it('decompresses gzip, zlib and raw deflate bodies', async () => {
    const traces = sampleTraces(2);
    const body = encodeTraces(traces, 'protobuf');
    const gzipped = await post('/v1/traces', gzipSync(body), { ...protobuf, 'Content-Encoding': 'gzip' });
    expect(gzipped.status).toBe(200);
    const deflated = await post('/v1/traces', deflateSync(body), { ...protobuf, 'Content-Encoding': 'deflate' });
    expect(deflated.status).toBe(200);
    const rawDeflate = await post('/v1/traces', deflateRawSync(body), { ...protobuf, 'Content-Encoding': 'deflate' });
    expect(rawDeflate.status).toBe(200);
    const identity = await post('/v1/traces', body, { ...protobuf, 'Content-Encoding': 'identity' });
    expect(identity.status).toBe(200);
    expect(consumer.traces).toEqual([traces, traces, traces, traces]);
  });

  it('treats a zero-length protobuf body and an empty JSON object as empty requests', async () => {
    const empty = await post('/v1/traces', new Uint8Array());
    expect(empty.status).toBe(200);
    expect(decodeExportResponse('traces', new Uint8Array(empty.body), 'protobuf')).toBeUndefined();
    const emptyJson = await post('/v1/logs', new TextEncoder().encode('{}'), json);
    expect(emptyJson.status).toBe(200);
    const noSpans = await post('/v1/traces', encodeTraces({ resourceSpans: [] }, 'protobuf'));
    expect(noSpans.status).toBe(200);
    expect(consumer.calls()).toBe(0);
  });

  it('ignores the query string when routing', async () => {
    const reply = await post('/v1/traces?source=test', encodeTraces(sampleTraces(1), 'protobuf'));
    expect(reply.status).toBe(200);
  });
});

describe('OTLP/HTTP request errors', () => {
  beforeEach(() => startReceiver({ max_request_body_size: mebibyte }));

  it('answers an undecodable protobuf body with 400 and the codec message in a protobuf Status', async () => {
    const reply = await post('/v1/traces', Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]));
    expect(reply.status).toBe(400);
    expect(reply.headers['content-type']).toBe('application/x-protobuf');
    const status = statusOf(reply, 'protobuf');
    expect(status.code).toBe(3);
    expect(status.message).toMatch(/^cannot decode the traces request as application\/x-protobuf: .+/);
    expect(consumer.calls()).toBe(0);
    await expectStillServing();
  });

  it('answers malformed JSON with 400 in a JSON Status', async () => {
    const reply = await post('/v1/logs', new TextEncoder().encode('{"resourceLogs": [ '), json);
    expect(reply.status).toBe(400);
    expect(reply.headers['content-type']).toBe('application/json');
    expect(statusOf(reply, 'json').message).toMatch(/^cannot decode the logs request as application\/json: .+/);
    await expectStillServing();
  });

  it('answers a truncated gzip body with 400', async () => {
    const gzipped = gzipSync(encodeTraces(sampleTraces(50), 'protobuf'));
    const reply = await post('/v1/traces', gzipped.subarray(0, gzipped.length - 20), {
      ...protobuf,
      'Content-Encoding': 'gzip',
    });
    expect(reply.status).toBe(400);
    expect(statusOf(reply, 'protobuf').message).toMatch(/not valid gzip data/);
    expect(consumer.calls()).toBe(0);
    await expectStillServing();
  });

  it('answers a body that is not gzip at all with 400', async () => {
    const reply = await post('/v1/traces', encodeTraces(sampleTraces(1), 'protobuf'), {
      ...protobuf,
      'Content-Encoding': 'gzip',
    });
    expect(reply.status).toBe(400);
    await expectStillServing();
  });

  it('answers an unsupported Content-Encoding with 415', async () => {
    const reply = await post('/v1/traces', encodeTraces(sampleTraces(1), 'protobuf'), {
      ...protobuf,
      'Content-Encoding': 'br',
    });
    expect(reply.status).toBe(415);
    expect(reply.body.toString('utf8')).toBe(
      'unsupported Content-Encoding "br"; send gzip, deflate or an uncompressed body',
    );
    await expectStillServing();
  });

  it('answers a wrong method with 405, Allow: POST and a text/plain message', async () => {
    const reply = await sendHttp(`${baseUrl}/v1/traces`, { method: 'GET' });
    expect(reply.status).toBe(405);
    expect(reply.headers['allow']).toBe('POST');
    expect(reply.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(reply.body.toString('utf8')).toBe('method GET is not allowed on /v1/traces; OTLP/HTTP accepts POST only');
    await expectStillServing();
  });

  it('answers a wrong content type with 415 and a text/plain message', async () => {
    const reply = await post('/v1/traces', new TextEncoder().encode('hello'), { 'Content-Type': 'text/plain' });
    expect(reply.status).toBe(415);
    expect(reply.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(reply.body.toString('utf8')).toBe(
      'unsupported Content-Type "text/plain"; send application/x-protobuf or application/json',
    );
    const missing = await post('/v1/traces', new TextEncoder().encode('hello'), {});
    expect(missing.status).toBe(415);
    await expectStillServing();
  });

  it('answers an unknown path with 404', async () => {
    const reply = await post('/v1/spans', encodeTraces(sampleTraces(1), 'protobuf'));
    expect(reply.status).toBe(404);
    expect(statusOf(reply, 'protobuf').message).toBe(
      'no OTLP endpoint at /v1/spans; POST to /v1/traces, /v1/logs, /v1/metrics',
    );
    const plain = await sendHttp(`${baseUrl}/`, { method: 'GET' });
    expect(plain.status).toBe(404);
    expect(plain.headers['content-type']).toBe('text/plain; charset=utf-8');
    await expectStillServing();
  });

  it('answers 413 for a declared Content-Length over the limit', async () => {
    const reply = await post('/v1/traces', new Uint8Array(2 * mebibyte));
    expect(reply.status).toBe(413);
    expect(reply.headers['connection']).toBe('close');
    expect(statusOf(reply, 'protobuf').message).toBe(
      `request body of ${2 * mebibyte} bytes exceeds the limit of ${mebibyte} bytes`,
    );
    await expectStillServing();
  });

  it('answers 413 for a chunked body once it passes the limit', async () => {
    const chunks = Array.from({ length: 40 }, () => new Uint8Array(64 * 1024));
    const reply = await sendHttp(`${baseUrl}/v1/traces`, { headers: protobuf, body: chunks });
    expect(reply.status).toBe(413);
    expect(statusOf(reply, 'protobuf').message).toBe(`request body exceeds the limit of ${mebibyte} bytes`);
    expect(consumer.calls()).toBe(0);
    await expectStillServing();
  });

  it('stops reading an endless chunked body once it passes the limit', async () => {
    const bound = 256 * mebibyte;
    const chunk = new Uint8Array(64 * 1024);
    const { status, written } = await new Promise<{ status: number; written: number }>((resolve, reject) => {
      let written = 0;
      let status = 0;
      let finished = false;
      const request = httpRequest(`${baseUrl}/v1/traces`, { method: 'POST', headers: protobuf });
      const finish = (): void => {
        finished = true;
        resolve({ status, written });
      };
      request.on('response', (response) => {
        status = response.statusCode ?? 0;
        response.resume();
        finish();
      });
      request.on('error', (error) => (status === 0 ? reject(error) : finish()));
      const pump = (): void => {
        while (!finished && written < bound) {
          written += chunk.length;
          if (!request.write(chunk)) {
            request.once('drain', pump);
            return;
          }
        }
        if (!finished) request.end();
      };
      pump();
    });
    expect(status).toBe(413);
    // Had the server drained the body, the client would have sent all of it.
    expect(written).toBeLessThan(bound / 4);
    await expectStillServing();
  });

  it('refuses an oversized Expect: 100-continue request before its body is sent', async () => {
    const reply = await sendHttp(`${baseUrl}/v1/traces`, {
      headers: { ...protobuf, 'Content-Length': 5 * mebibyte, Expect: '100-continue' },
    });
    expect(reply.status).toBe(413);
    await expectStillServing();
  });

  it('stops a gzip bomb at the limit instead of inflating it', async () => {
    const bomb = gzipSync(Buffer.alloc(100 * mebibyte), { level: 9 });
    expect(bomb.length).toBeLessThan(mebibyte);
    const before = process.memoryUsage();
    const reply = await post('/v1/traces', bomb, { ...protobuf, 'Content-Encoding': 'gzip' });
    const after = process.memoryUsage();
    expect(reply.status).toBe(413);
    expect(statusOf(reply, 'protobuf').message).toBe(
      `request body exceeds the limit of ${mebibyte} bytes after decompression`,
    );
    // Inflating the bomb would add 100 MiB; the limit keeps growth to a few MiB plus noise.
    expect(after.rss - before.rss).toBeLessThan(48 * mebibyte);
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(48 * mebibyte);
    expect(consumer.calls()).toBe(0);
    await expectStillServing();
  });

  it('answers 404 for a signal whose pipeline does not include the receiver', async () => {
    await receiver.shutdown();
    await startReceiver({}, ['traces']);
    const reply = await post('/v1/logs', encodeLogs(sampleLogs(1), 'protobuf'));
    expect(reply.status).toBe(404);
    expect(statusOf(reply, 'protobuf').message).toBe(
      'this receiver is not part of any logs pipeline, so /v1/logs is not served',
    );
    await expectStillServing();
  });

  it('serves configured paths instead of the defaults', async () => {
    await receiver.shutdown();
    await startReceiver({ traces_url_path: 'custom/traces' });
    const reply = await post('/custom/traces', encodeTraces(sampleTraces(1), 'protobuf'));
    expect(reply.status).toBe(200);
    expect((await post('/v1/traces', encodeTraces(sampleTraces(1), 'protobuf'))).status).toBe(404);
  });
});

describe('OTLP/HTTP consumer errors', () => {
  beforeEach(() => startReceiver());
  const labels = { receiver: 'otlp', transport: 'http' };

  it.each([
    {
      name: 'a RetryableError without a delay → 503, Retry-After 1',
      error: () => new RetryableError('queue is full'),
      status: 503,
      retryAfter: '1',
      retryDelayMs: 1000,
      outcome: 'refused',
    },
    {
      name: 'a RetryableError with 2.5 s → 503, Retry-After 3',
      error: () => new RetryableError('exporter unavailable', { retryAfterMs: 2500 }),
      status: 503,
      retryAfter: '3',
      retryDelayMs: 2500,
      outcome: 'refused',
    },
    {
      name: 'a throttled RetryableError → 429',
      error: () => new RetryableError('memory limit reached', { throttled: true, retryAfterMs: 4000 }),
      status: 429,
      retryAfter: '4',
      retryDelayMs: 4000,
      outcome: 'refused',
    },
    {
      name: 'a PermanentError with bad data → 400',
      error: () => new PermanentError('span has no trace id', { badData: true }),
      status: 400,
      retryAfter: undefined,
      retryDelayMs: undefined,
      outcome: 'refused',
    },
    {
      name: 'another PermanentError → 500',
      error: () => new PermanentError('exporter misconfigured'),
      status: 500,
      retryAfter: undefined,
      retryDelayMs: undefined,
      outcome: 'refused',
    },
    {
      name: 'an unknown error → 503, Retry-After 1',
      error: () => new TypeError('cannot read properties of undefined'),
      status: 503,
      retryAfter: '1',
      retryDelayMs: 1000,
      outcome: 'failed',
    },
  ])('maps $name', async ({ error, status, retryAfter, retryDelayMs, outcome }) => {
    const thrown = error();
    consumer.behaviour = () => Promise.reject(thrown);
    for (const encoding of ['protobuf', 'json'] as const) {
      const reply = await post('/v1/traces', encodeTraces(sampleTraces(2), encoding), {
        'Content-Type': encoding === 'json' ? 'application/json' : 'application/x-protobuf',
      });
      expect(reply.status).toBe(status);
      expect(reply.headers['retry-after']).toBe(retryAfter);
      const rpcStatus = statusOf(reply, encoding);
      expect(rpcStatus.message).toContain(thrown.message);
      expect(rpcStatus.retryDelayMs).toBe(retryDelayMs);
    }
    expect(meter.total(`otelcol_receiver_${outcome}_spans`, labels)).toBe(4);
    expect(meter.total('otelcol_receiver_accepted_spans', labels)).toBe(0);
    consumer.behaviour = () => Promise.resolve();
    await expectStillServing();
  });

  it('answers 503 when a consumer throws synchronously', async () => {
    consumer.behaviour = () => {
      throw new Error('boom');
    };
    const reply = await post('/v1/traces', encodeTraces(sampleTraces(1), 'protobuf'));
    expect(reply.status).toBe(503);
    expect(reply.headers['retry-after']).toBe('1');
    consumer.behaviour = () => Promise.resolve();
    await expectStillServing();
  });

  it('hands over the decoded data intact', async () => {
    const traces = sampleTraces(5, 'x'.repeat(1000));
    await post('/v1/traces', gzipSync(encodeTraces(traces, 'json')), { ...json, 'Content-Encoding': 'gzip' });
    expect(consumer.traces[0]).toEqual(decodeTraces(encodeTraces(traces, 'protobuf'), 'protobuf'));
  });
});
