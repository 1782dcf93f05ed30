import { describe, expect, it } from 'vitest';
import { builtinFactories } from './builtin-factories.js';
import { formatConfigIssue } from './config-error.js';
import { loadConfig } from './load-config.js';
import { redisSharedStateConfigSchema } from './redis-shared-state-config.js';

const factories = builtinFactories();

function configWith(sharedState: string): string {
  return `
receivers:
  otlp: { protocols: { http: { endpoint: "127.0.0.1:0" } } }
processors:
  semantic:
    shared_state: ${sharedState}
exporters:
  debug: {}
service:
  pipelines:
    traces: { receivers: [otlp], processors: [semantic], exporters: [debug] }
`;
}

async function problems(yaml: string, env: Record<string, string> = {}): Promise<string[]> {
  const result = await loadConfig({ config: yaml, env }, factories);
  return result.issues.map(formatConfigIssue);
}

describe('processors.semantic.shared_state', () => {
  it('fills the defaults', () => {
    expect(redisSharedStateConfigSchema.parse({ endpoint: 'redis://127.0.0.1:6379' })).toEqual({
      endpoint: 'redis://127.0.0.1:6379',
      key_prefix: 'semtel:',
      connect_timeout: 2000,
      command_timeout: 500,
      rate_limit: true,
      result_cache: true,
    });
  });

  it('accepts a Redis URL with durations and a password from the environment', async () => {
    expect(
      await problems(
        configWith(
          '{ endpoint: "rediss://redis.internal:6380/2", key_prefix: "prod:", password: "${env:REDIS_PASSWORD}", command_timeout: 250ms, result_cache: false }',
        ),
        { REDIS_PASSWORD: 'secret' },
      ),
    ).toEqual([]);
  });

  it('says precisely what is wrong', async () => {
    const errors = await problems(
      configWith('{ endpoint: "http://127.0.0.1:6379", command_timeout: soon, rate_limit: "yes", colour: red }'),
    );
    expect(errors.join('\n')).toMatch(/processors\.semantic\.shared_state\.endpoint.*redis:\/\/ or rediss:\/\//);
    expect(errors.join('\n')).toMatch(/processors\.semantic\.shared_state\.command_timeout/);
    expect(errors.join('\n')).toMatch(/processors\.semantic\.shared_state\.rate_limit/);
    expect(errors.join('\n')).toMatch(/colour/);
  });

  it('requires an endpoint', async () => {
    expect((await problems(configWith('{ key_prefix: "x:" }'))).join('\n')).toMatch(
      /processors\.semantic\.shared_state\.endpoint/,
    );
  });
});
