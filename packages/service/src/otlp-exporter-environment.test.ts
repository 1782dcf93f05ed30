import { describe, expect, it } from 'vitest';
import { builtinFactories } from './builtin-factories.js';
import { formatConfigIssue } from './config-error.js';
import { loadConfig } from './load-config.js';
import { applyOtlpExporterEnvironment } from './otlp-exporter-environment.js';
import { parseConfigYaml } from './parse-config-yaml.js';

const factories = builtinFactories();

async function defaultConfig(env: Record<string, string>) {
  const result = await loadConfig({ env }, factories);
  const exporters = Object.fromEntries(
    [...(result.config?.exporters ?? new Map())].map(([id, component]) => [
      id,
      component.config as Record<string, unknown>,
    ]),
  );
  const pipelines = Object.fromEntries(
    (result.config?.pipelines ?? []).map((pipeline) => [pipeline.id, pipeline.exporters]),
  );
  return { result, exporters, pipelines, issues: result.issues.map(formatConfigIssue) };
}

describe('default configuration and OTEL_EXPORTER_OTLP_*', () => {
  it('exports to debug and one file per signal when no endpoint is set', async () => {
    const { result, pipelines, issues } = await defaultConfig({});
    expect(issues).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(pipelines).toEqual({
      traces: ['debug', 'file/traces'],
      logs: ['debug', 'file/logs'],
      metrics: ['debug', 'file/metrics'],
    });
    expect(result.config?.pipelines.map((pipeline) => [pipeline.id, pipeline.processors])).toEqual([
      ['traces', ['memory_limiter', 'semantic']],
      ['logs', ['memory_limiter', 'semantic']],
      ['metrics', ['memory_limiter']],
    ]);
    expect(result.config?.receivers.get('otlp')?.config).toMatchObject({
      protocols: { grpc: { endpoint: '127.0.0.1:4317' }, http: { endpoint: '127.0.0.1:4318' } },
    });
    expect(result.config?.extensions.get('health_check')?.config).toEqual({ endpoint: '127.0.0.1:13133', path: '/' });
    expect(result.config?.service.telemetry.metrics.address).toBe('127.0.0.1:8888');
  });

  it('defaults to http/protobuf, appending /v1/<signal> to the general endpoint, with decoded headers', async () => {
    const { exporters, pipelines, issues } = await defaultConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://api.honeycomb.io',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-honeycomb-team=abc%3D%3D, x-honeycomb-dataset = my%20data ,',
    });
    expect(issues).toEqual([]);
    expect(pipelines).toEqual({
      traces: ['otlp_http/traces'],
      logs: ['otlp_http/logs'],
      metrics: ['otlp_http/metrics'],
    });
    expect(exporters['otlp_http/traces']).toMatchObject({
      endpoint: 'https://api.honeycomb.io',
      encoding: 'proto',
      headers: { 'x-honeycomb-team': 'abc==', 'x-honeycomb-dataset': 'my data' },
    });
    expect(Object.keys(exporters).sort()).toEqual(['otlp_http/logs', 'otlp_http/metrics', 'otlp_http/traces']);
  });

  it('uses otlp_grpc for grpc and http/json as JSON encoding; per-signal variables win', async () => {
    const { exporters, pipelines, issues } = await defaultConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317/',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_HEADERS: 'a=1,b=2',
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'https://logs.example.com/custom/logs',
      OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'b=3',
      OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'none',
    });
    expect(issues).toEqual([]);
    expect(pipelines).toEqual({
      traces: ['otlp_grpc/traces'],
      logs: ['otlp_http/logs'],
      metrics: ['otlp_grpc/metrics'],
    });
    expect(exporters['otlp_grpc/traces']).toMatchObject({
      endpoint: 'http://collector:4317',
      headers: { a: '1', b: '2' },
      timeout: 2500,
      compression: 'none',
    });
    expect(exporters['otlp_http/logs']).toMatchObject({
      logs_endpoint: 'https://logs.example.com/custom/logs',
      encoding: 'json',
      headers: { a: '1', b: '3' },
    });
    expect(exporters['otlp_http/logs']?.endpoint).toBeUndefined();
  });

  it('changes only the signals that have an endpoint', async () => {
    const { pipelines, issues } = await defaultConfig({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://jaeger:4318/v1/traces',
    });
    expect(issues).toEqual([]);
    expect(pipelines).toEqual({
      traces: ['otlp_http/traces'],
      logs: ['debug', 'file/logs'],
      metrics: ['debug', 'file/metrics'],
    });
  });

  it('reports bad values by variable name, without echoing header values', async () => {
    const { issues } = await defaultConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318',
      OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'thrift',
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://backend:4318',
      OTEL_EXPORTER_OTLP_HEADERS: 'secretvalue,k=%E0%A4%A',
    });
    expect(issues).toEqual([
      'OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: "thrift" is not a protocol; use grpc, http/protobuf or http/json',
      'OTEL_EXPORTER_OTLP_HEADERS: entry 1 is invalid (expected key=value)',
      'OTEL_EXPORTER_OTLP_HEADERS: entry 2 is invalid (invalid %-encoding)',
    ]);
    expect(issues.join('\n')).not.toContain('secretvalue');
  });

  it('starts with debug and file, warning, when the shell points its apps at semtel itself', async () => {
    // The README's "point your app at it" section exports exactly this in the shell.
    const environments: Record<string, string>[] = [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' },
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
    ];
    for (const env of environments) {
      const { result, pipelines, issues } = await defaultConfig(env);
      expect(issues).toEqual([]);
      expect(result.config).toBeDefined();
      expect(pipelines).toEqual({
        traces: ['debug', 'file/traces'],
        logs: ['debug', 'file/logs'],
        metrics: ['debug', 'file/metrics'],
      });
    }
    const defaults = parseConfigYaml(
      'receivers: { otlp: { protocols: { http: { endpoint: 127.0.0.1:4318 } } } }\n' +
        'exporters: { debug: {} }\nservice: { pipelines: { traces: { receivers: [otlp], exporters: [debug] },' +
        ' logs: { receivers: [otlp], exporters: [debug] } } }\n',
      {},
    ).value as Record<string, unknown>;
    const applied = applyOtlpExporterEnvironment(defaults, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' });
    expect(applied.issues).toEqual([]);
    expect(applied.warnings.map(formatConfigIssue)).toEqual([
      'OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" is semtel\'s own receiver (set for your apps, probably), so semtel does not export there, which would loop; the signals it names keep the default debug and file exporters. To export to a backend, set OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT to it for semtel, or start semtel with --config',
    ]);
    // A signal's own variable can still send that signal to a backend.
    const mixed = applyOtlpExporterEnvironment(defaults, {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://jaeger:4318/v1/traces',
    });
    expect(mixed.warnings.map((warning) => warning.path)).toEqual(['OTEL_EXPORTER_OTLP_ENDPOINT']);
    const pipelines = (mixed.tree.service as { pipelines: Record<string, { exporters: string[] }> }).pipelines;
    expect(pipelines.traces?.exporters).toEqual(['otlp_http/traces']);
    expect(pipelines.logs?.exporters).toEqual(['debug']);
  });

  it('ignores the variables when a config is given', async () => {
    const result = await loadConfig(
      {
        config:
          'receivers: { otlp: }\nexporters: { debug: }\nservice: { pipelines: { traces: { receivers: [otlp], exporters: [debug] } } }\n',
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://backend:4318' },
      },
      factories,
    );
    expect(result.config?.pipelines[0]?.exporters).toEqual(['debug']);
  });
});
