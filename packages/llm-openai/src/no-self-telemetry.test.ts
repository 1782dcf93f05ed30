import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packagesDirectory = fileURLToPath(new URL('../../', import.meta.url));

// Semtel's own LLM calls must never produce telemetry that flows back into its pipeline. The
// simple guarantee: no runtime package depends on the OpenTelemetry API or SDK, so nothing in the
// process can create spans for our requests. (The end-to-end test checks the process at run time.)
describe('no self-instrumentation', () => {
  it('no runtime package depends on @opentelemetry/*', () => {
    const offenders: string[] = [];
    for (const name of readdirSync(packagesDirectory)) {
      if (name === 'testing') continue; // test kit, never loaded by the service
      const manifest = JSON.parse(readFileSync(`${packagesDirectory}${name}/package.json`, 'utf8')) as Record<
        string,
        Record<string, string> | undefined
      >;
      for (const dependency of Object.keys({
        ...manifest.dependencies,
        ...manifest.peerDependencies,
        ...manifest.optionalDependencies,
      })) {
        if (dependency.startsWith('@opentelemetry/')) offenders.push(`${name} → ${dependency}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('openai itself does not pull in OpenTelemetry', () => {
    const manifest = JSON.parse(
      readFileSync(new URL('../node_modules/openai/package.json', import.meta.url), 'utf8'),
    ) as { dependencies?: Record<string, string> };
    expect(Object.keys(manifest.dependencies ?? {}).filter((name) => name.startsWith('@opentelemetry/'))).toEqual([]);
  });
});
