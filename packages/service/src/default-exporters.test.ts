import { describe, expect, it } from 'vitest';
import { applyDefaultExporters } from './default-exporters.js';

describe('applyDefaultExporters', () => {
  it('sends a pipeline without exporters to debug and a file per pipeline', () => {
    const { tree, notices } = applyDefaultExporters({
      receivers: { otlp: {} },
      service: {
        pipelines: {
          traces: { receivers: ['otlp'] },
          'logs/app': { receivers: ['otlp'] },
          'logs/empty': { receivers: ['otlp'], exporters: [] },
          metrics: { receivers: ['otlp'], exporters: ['otlp_http'] },
        },
      },
      exporters: { otlp_http: { endpoint: 'http://127.0.0.1:1' } },
    });
    expect(tree.exporters).toEqual({
      otlp_http: { endpoint: 'http://127.0.0.1:1' },
      debug: {},
      'file/traces': { path: './data/traces.jsonl' },
      'file/logs_app': { path: './data/logs_app.jsonl' },
    });
    const pipelines = (tree.service as { pipelines: Record<string, { exporters: string[] }> }).pipelines;
    expect(pipelines.traces?.exporters).toEqual(['debug', 'file/traces']);
    expect(pipelines['logs/app']?.exporters).toEqual(['debug', 'file/logs_app']);
    expect(pipelines.metrics?.exporters).toEqual(['otlp_http']);
    expect(pipelines['logs/empty']?.exporters).toEqual([]);
    expect(notices.map((notice) => notice.path)).toEqual([
      'service.pipelines.traces.exporters',
      'service.pipelines.logs/app.exporters',
    ]);
  });

  it('leaves a configuration whose pipelines all export unchanged', () => {
    const input = { service: { pipelines: { traces: { receivers: ['otlp'], exporters: ['debug'] } } } };
    expect(applyDefaultExporters(input).tree).toBe(input);
  });
});
