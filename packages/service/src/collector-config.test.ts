import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinFactories } from './builtin-factories.js';
import { formatConfigIssue } from './config-error.js';
import { loadConfig } from './load-config.js';

const directory = fileURLToPath(new URL('../../../collector-config/', import.meta.url));
const files = (await readdir(directory)).filter((name) => name.startsWith('semtel-') && name.endsWith('.yaml')).sort();

describe('collector-config', () => {
  it('ships semtel configurations', () => {
    expect(files).toEqual(expect.arrayContaining(['semtel-honeycomb.yaml', 'semtel-jaeger.yaml']));
  });

  it.each(files)('%s passes validation', async (name) => {
    const result = await loadConfig(
      { configFile: path.join(directory, name), env: { HONEYCOMB_API_KEY: 'test-key' } },
      builtinFactories(),
    );
    expect(result.issues.map(formatConfigIssue)).toEqual([]);
    expect(result.warnings.map(formatConfigIssue)).toEqual([]);
  });

  it('semtel-honeycomb.yaml needs HONEYCOMB_API_KEY', async () => {
    const result = await loadConfig(
      { configFile: path.join(directory, 'semtel-honeycomb.yaml'), env: {} },
      builtinFactories(),
    );
    expect(result.issues.map(formatConfigIssue)).toEqual([
      'exporters.otlp_http/honeycomb.headers.x-honeycomb-team: environment variable HONEYCOMB_API_KEY is not set',
      'exporters.otlp_http/honeycomb_metrics.headers.x-honeycomb-team: environment variable HONEYCOMB_API_KEY is not set',
    ]);
  });
});
