import { describe, expect, it } from 'vitest';
import { builtinFactories } from './builtin-factories.js';
import { formatConfigIssue } from './config-error.js';
import { loadConfig } from './load-config.js';

const factories = builtinFactories();

async function problems(yaml: string): Promise<string[]> {
  const result = await loadConfig({ config: yaml, env: {} }, factories);
  return result.issues.map(formatConfigIssue);
}

const exporters = `
exporters:
  otlp_http/acknowledges_late:
    endpoint: http://127.0.0.1:4999
    sending_queue: { enabled: false }
  otlp_grpc/acknowledges_early:
    endpoint: 127.0.0.1:4998
    tls: { insecure: true }
  debug: {}
`;

describe('durable queue acknowledgement check', () => {
  it('accepts a pipeline where everything after the durable queue acknowledges after delivery', async () => {
    expect(
      await problems(`
receivers: { otlp: {} }
processors:
  memory_limiter: {}
  durable_queue: { directory: ./queue }
  semantic: { wait_for_release: true }
${exporters}
service:
  pipelines:
    traces: { receivers: [otlp], processors: [memory_limiter, durable_queue, semantic], exporters: [otlp_http/acknowledges_late, debug] }
`),
    ).toEqual([]);
  });

  it('names each component that would acknowledge before delivery, and the fix', async () => {
    expect(
      await problems(`
receivers: { otlp: {} }
processors:
  durable_queue: {}
  durable_queue/second: {}
  semantic: {}
  semantic/before: { wait_for_release: false }
${exporters}
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [semantic/before, durable_queue, semantic, durable_queue/second]
      exporters: [otlp_grpc/acknowledges_early, otlp_http/acknowledges_late]
`),
    ).toEqual([
      'service.pipelines.traces.processors[0]: processor "semantic/before" holds spans before "durable_queue" has stored them; put "durable_queue" before it (right after memory_limiter)',
      'service.pipelines.traces.processors[2]: processor "semantic" acknowledges held spans before they are delivered, so "durable_queue" would delete them too early; set processors.semantic.wait_for_release: true',
      'service.pipelines.traces.processors[3]: a pipeline takes one durable_queue; "durable_queue" already stores its data',
      'service.pipelines.traces.exporters[0]: exporter "otlp_grpc/acknowledges_early" acknowledges data once queued in memory, so "durable_queue" would delete it before delivery; set exporters.otlp_grpc/acknowledges_early.sending_queue.enabled: false (the durable queue replaces it)',
    ]);
  });

  it('leaves pipelines without a durable queue alone', async () => {
    expect(
      await problems(`
receivers: { otlp: {} }
processors:
  semantic: {}
${exporters}
service:
  pipelines:
    traces: { receivers: [otlp], processors: [semantic], exporters: [otlp_grpc/acknowledges_early] }
`),
    ).toEqual([]);
  });
});
