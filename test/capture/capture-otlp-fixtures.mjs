// Captures the raw OTLP request bodies that the real OpenTelemetry JS SDK exporters send
// (http/protobuf and http/json, uncompressed) for traces, logs and metrics, and saves them as
// codec fixtures in packages/otlp/fixtures/. Run from the repo root:
//   node test/capture/capture-otlp-fixtures.mjs
import { Buffer } from 'node:buffer';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createTraceState, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { AggregationType, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

const fixturesDirectory = new URL('../../packages/otlp/fixtures/', import.meta.url);

function packageVersion(name) {
  return JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8')).version;
}

async function startCaptureServer() {
  const bodies = new Map();
  const server = createServer((request, reply) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const signal = (request.url ?? '').split('?')[0].split('/').at(-1);
      const encoding = (request.headers['content-type'] ?? '').includes('json') ? 'json' : 'pb';
      if (request.headers['content-encoding']) throw new Error('expected uncompressed bodies');
      const key = `${signal}.${encoding}`;
      bodies.set(key, [...(bodies.get(key) ?? []), Buffer.concat(chunks)]);
      if (encoding === 'json') reply.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else reply.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    bodies,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

const resource = resourceFromAttributes({
  'service.name': 'otlp-fixture-service',
  'service.version': '1.2.3',
  'deployment.environment.name': 'test',
  'host.cpu.count': 8,
  'process.runtime.ratio': 0.75,
  'feature.enabled': true,
  'team.tags': ['genai', 'codec'],
});

const genAiMessages = JSON.stringify([
  { role: 'system', parts: [{ type: 'text', content: 'You are a meticulous travel assistant. '.repeat(20) }] },
  {
    role: 'user',
    parts: [
      { type: 'text', content: 'Plan a three day trip to Lisbon with museums, food and a day trip. '.repeat(25) },
    ],
  },
]);
const genAiOutput = JSON.stringify([
  {
    role: 'assistant',
    parts: [
      {
        type: 'text',
        content: 'Day 1: Belém, pastéis, Jerónimos. Day 2: Sintra. Day 3: Alfama — fado 🎶. '.repeat(20),
      },
    ],
    finish_reason: 'stop',
  },
]);

function emitSpans(tracerProvider) {
  const tracer = tracerProvider.getTracer('fixture-tracer', '4.5.6', {
    schemaUrl: 'https://opentelemetry.io/schemas/1.37.0',
  });
  const remoteParent = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '5b8efff798038103d269b633813fc60c',
    spanId: 'eee19b7ec3c1b173',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: createTraceState('vendor=abc,other=xyz'),
  });
  const server = tracer.startSpan(
    'GET /plan',
    { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'GET', 'http.response.status_code': 200 } },
    remoteParent,
  );
  const serverContext = trace.setSpan(remoteParent, server);
  const chat = tracer.startSpan(
    'chat gpt-4o-mini',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.request.temperature': 0.2,
        'gen_ai.request.max_tokens': 1024,
        'gen_ai.usage.input_tokens': 1234,
        'gen_ai.usage.output_tokens': 567,
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.input.messages': genAiMessages,
        'gen_ai.output.messages': genAiOutput,
        'test.int.negative': -42,
        'test.int.large': 2 ** 60,
        'test.double.whole': 1.5,
        'test.bool': false,
        'test.string.empty': '',
        'test.array.numbers': [1, 2.5, -3],
        'test.array.booleans': [true, false],
        'test.array.strings': ['a', '', 'ünïcødé'],
      },
      links: [
        {
          context: {
            traceId: '0af7651916cd43dd8448eb211c80319c',
            spanId: 'b7ad6b7169203331',
            traceFlags: TraceFlags.SAMPLED,
            isRemote: true,
            traceState: createTraceState('congo=t61rcWkgMzE'),
          },
          attributes: { 'link.reason': 'retry-of', 'link.attempt': 2 },
        },
      ],
    },
    serverContext,
  );
  chat.addEvent('gen_ai.content.prompt', { 'gen_ai.prompt': 'hello', 'event.sequence': 1 });
  chat.addEvent('checkpoint', undefined, [1700000000, 123456789]);
  chat.recordException(new Error('transient upstream failure'));
  chat.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream returned 503' });
  chat.end();
  const noisy = tracer.startSpan('noisy', { kind: SpanKind.INTERNAL }, serverContext);
  for (let index = 0; index < 40; index++) noisy.setAttribute(`noisy.attribute.${index}`, index);
  for (let index = 0; index < 6; index++) noisy.addEvent(`noisy.event.${index}`);
  noisy.setStatus({ code: SpanStatusCode.OK });
  noisy.end();
  for (const kind of [SpanKind.PRODUCER, SpanKind.CONSUMER])
    tracer.startSpan(`kind-${kind}`, { kind }, serverContext).end();
  tracerProvider.getTracer('second-scope').startSpan('root-span').end();
  server.end();
}

function emitLogs(loggerProvider, tracerProvider) {
  const logger = loggerProvider.getLogger('fixture-logger', '7.8.9', {
    schemaUrl: 'https://opentelemetry.io/schemas/1.37.0',
  });
  const span = tracerProvider.getTracer('log-context').startSpan('log-parent');
  const context = trace.setSpan(ROOT_CONTEXT, span);
  logger.emit({
    severityNumber: SeverityNumber.INFO,
    severityText: 'INFO',
    body: 'plain string body',
    attributes: { 'log.kind': 'plain' },
  });
  logger.emit({
    eventName: 'gen_ai.client.inference.operation.details',
    severityNumber: SeverityNumber.WARN2,
    severityText: 'WARN2',
    timestamp: [1700000000, 987654321],
    observedTimestamp: [1700000001, 1],
    context,
    body: {
      message: {
        role: 'assistant',
        content: 'hi',
        tool_calls: [{ id: 'call_1', function: { name: 'get_weather', arguments: '{"city":"Lisbon"}' } }],
      },
      index: 0,
      score: 0.5,
      ok: true,
      nested: { deeper: { deepest: ['x', 1, false, { k: 'v' }] } },
      bytes: new Uint8Array([0, 1, 2, 253, 254, 255]),
      nothing: null,
    },
    attributes: {
      'gen_ai.provider.name': 'openai',
      'attribute.map': { inner: 'value', list: [1, 2] },
      'attribute.int': -7,
      'attribute.bytes': new Uint8Array([9, 8, 7]),
    },
  });
  logger.emit({ severityNumber: SeverityNumber.ERROR, body: ['array', 'body', 3], context });
  span.end();
}

async function emitMetrics(meterProvider) {
  const meter = meterProvider.getMeter('fixture-meter', '1.0.0', {
    schemaUrl: 'https://opentelemetry.io/schemas/1.37.0',
  });
  const counter = meter.createCounter('requests', { description: 'requests served', unit: '{request}' });
  counter.add(3, { route: '/plan' });
  counter.add(2, { route: '/book' });
  const upDown = meter.createUpDownCounter('queue.depth');
  upDown.add(5);
  upDown.add(-2);
  const histogram = meter.createHistogram('request.duration', { unit: 's' });
  for (const value of [0.01, 0.2, 0.2, 3.5]) histogram.record(value, { route: '/plan' });
  const exponential = meter.createHistogram('token.usage', { unit: '{token}' });
  for (const value of [12, 130, 1400, 1]) exponential.record(value);
  const doubleCounter = meter.createCounter('cost', { unit: 'USD' });
  doubleCounter.add(0.125);
  meter.createObservableGauge('temperature').addCallback((result) => {
    result.observe(21.5, { room: 'a' });
    result.observe(-3, { room: 'b' });
  });
}

async function main() {
  const capture = await startCaptureServer();
  const url = (signal) => `${capture.url}/v1/${signal}`;

  const tracerProvider = new BasicTracerProvider({
    resource,
    spanLimits: { attributeCountLimit: 32, eventCountLimit: 4 },
    spanProcessors: [
      new BatchSpanProcessor(new ProtoTraceExporter({ url: url('traces') })),
      new BatchSpanProcessor(new JsonTraceExporter({ url: url('traces') })),
    ],
  });
  const loggerProvider = new LoggerProvider({
    resource,
    processors: [
      new BatchLogRecordProcessor({ exporter: new ProtoLogExporter({ url: url('logs') }) }),
      new BatchLogRecordProcessor({ exporter: new JsonLogExporter({ url: url('logs') }) }),
    ],
  });
  const meterProvider = new MeterProvider({
    resource,
    views: [{ instrumentName: 'token.usage', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new ProtoMetricExporter({ url: url('metrics') }),
        exportIntervalMillis: 60_000,
      }),
      new PeriodicExportingMetricReader({
        exporter: new JsonMetricExporter({ url: url('metrics') }),
        exportIntervalMillis: 60_000,
      }),
    ],
  });

  emitSpans(tracerProvider);
  emitLogs(loggerProvider, tracerProvider);
  await emitMetrics(meterProvider);
  await tracerProvider.forceFlush();
  await loggerProvider.forceFlush();
  await meterProvider.forceFlush();
  await Promise.all([tracerProvider.shutdown(), loggerProvider.shutdown(), meterProvider.shutdown()]);
  await capture.close();

  mkdirSync(fixturesDirectory, { recursive: true });
  const expected = ['traces.pb', 'traces.json', 'logs.pb', 'logs.json', 'metrics.pb', 'metrics.json'];
  for (const name of expected) {
    const bodies = capture.bodies.get(name);
    if (!bodies || bodies.length === 0) throw new Error(`no ${name} request captured`);
    // The first request of each signal: metric readers export again (cumulatively) at shutdown.
    const body = bodies[0];
    writeFileSync(new URL(name, fixturesDirectory), body);
    console.log(`wrote packages/otlp/fixtures/${name} (${body.length} bytes, ${bodies.length} request(s) captured)`);
  }
  const versions = Object.fromEntries(
    [
      '@opentelemetry/api',
      '@opentelemetry/sdk-trace-base',
      '@opentelemetry/sdk-logs',
      '@opentelemetry/sdk-metrics',
      '@opentelemetry/exporter-trace-otlp-proto',
      '@opentelemetry/exporter-trace-otlp-http',
      '@opentelemetry/exporter-logs-otlp-proto',
      '@opentelemetry/exporter-logs-otlp-http',
      '@opentelemetry/exporter-metrics-otlp-proto',
      '@opentelemetry/exporter-metrics-otlp-http',
    ].map((name) => [name, packageVersion(name)]),
  );
  writeFileSync(new URL('versions.json', fixturesDirectory), `${JSON.stringify(versions, null, 2)}\n`);
}

await main();
