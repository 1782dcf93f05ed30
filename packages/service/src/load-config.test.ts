import { describe, expect, it } from 'vitest';
import { builtinFactories } from './builtin-factories.js';
import { loadConfig } from './load-config.js';

const factories = builtinFactories();

describe('loadConfig with the default configuration', () => {
  it('keeps debug + file and warns when OTEL_EXPORTER_OTLP_ENDPOINT is semtel’s own receiver', async () => {
    const result = await loadConfig({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' } }, factories);
    expect(result.issues).toEqual([]);
    expect(result.config).toBeDefined();
    const exporterTypes = [...(result.config?.exporters.values() ?? [])].map((exporter) => exporter.type);
    expect(exporterTypes).not.toContain('otlp_http');
    expect(exporterTypes).toContain('debug');
    const warning = result.warnings.find((issue) => issue.path === 'OTEL_EXPORTER_OTLP_ENDPOINT');
    expect(warning?.message).toMatch(/semtel's own receiver/);
  });

  it('exports to the endpoint the variable names when it is somewhere else, without a warning about it', async () => {
    const result = await loadConfig(
      { env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector.internal:4318' } },
      factories,
    );
    expect(result.issues).toEqual([]);
    const exporterConfigs = [...(result.config?.exporters.values() ?? [])].map((exporter) => exporter.config);
    expect(JSON.stringify(exporterConfigs)).toContain('collector.internal:4318');
    expect(result.warnings.some((issue) => issue.path === 'OTEL_EXPORTER_OTLP_ENDPOINT')).toBe(false);
  });
});
