// Wires the real OpenTelemetry JS SDK to a loopback OTLP/HTTP server that keeps every
// request body the SDK's JSON exporters send, so fixtures are the payloads seen on the wire.
import { Buffer } from 'node:buffer';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { logs } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/** The installed version: read from test/node_modules, since some packages do not export package.json. */
export function packageVersion(name) {
  return JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8')).version;
}

async function startCaptureServer() {
  const requests = [];
  const server = createServer((request, reply) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const path = (request.url ?? '').split('?')[0];
      requests.push({
        signal: path.split('/').at(-1),
        path,
        contentType: request.headers['content-type'] ?? '',
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      });
      reply.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/**
 * Starts the SDK (global tracer and logger providers) exporting OTLP/JSON to a capture server.
 * `spanProcessors` replaces the default OTLP/JSON span exporter, for SDKs that ship their own.
 */
export async function startOtelSdk(serviceName, { spanProcessors } = {}) {
  const capture = await startCaptureServer();
  const resource = resourceFromAttributes({ 'service.name': serviceName });
  const tracerProvider = new NodeTracerProvider({
    resource,
    spanProcessors: spanProcessors?.(capture.url) ?? [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${capture.url}/v1/traces` })),
    ],
  });
  tracerProvider.register();
  const loggerProvider = new LoggerProvider({
    resource,
    processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${capture.url}/v1/logs` }) })],
  });
  logs.setGlobalLoggerProvider(loggerProvider);
  return {
    tracerProvider,
    loggerProvider,
    /** Flushes both signals and returns the captured request bodies. */
    async finish() {
      await tracerProvider.forceFlush();
      await loggerProvider.forceFlush();
      await tracerProvider.shutdown();
      await loggerProvider.shutdown();
      await capture.close();
      return capture.requests;
    },
  };
}

export function writeFixture(name, fixture) {
  const path = new URL(`../../packages/genai/fixtures/${name}.json`, import.meta.url);
  writeFileSync(path, `${JSON.stringify(fixture, null, 2)}\n`);
  console.log(`wrote ${path.pathname} (${fixture.requests.length} OTLP requests)`);
}
