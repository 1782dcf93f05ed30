import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { noopLogger } from '@semtel/component';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfigPath } from './load-config.js';
import { startService } from './service.js';

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'semtel-default-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

const exportRequest = {
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
      scopeSpans: [
        {
          scope: { name: 'test' },
          spans: [
            {
              traceId: '5b8efff798038103d269b633813fc60c',
              spanId: 'eee19b7ec3c1b174',
              name: 'GET /cart',
              kind: 2,
              startTimeUnixNano: '1544712660000000000',
              endTimeUnixNano: '1544712661000000000',
            },
          ],
        },
      ],
    },
  ],
};

describe('the default configuration', () => {
  it('runs with real components: OTLP/HTTP in, semantic, file out, health and metrics up', async () => {
    // The shipped file, with ephemeral ports and a private data directory.
    const text = (await readFile(defaultConfigPath, 'utf8'))
      .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:0')
      .replaceAll('./data/', `${directory}/`);
    const service = await startService({ config: text, env: {}, logger: noopLogger });
    try {
      expect(Object.keys(service.addresses.receivers.otlp ?? {}).sort()).toEqual(['grpc', 'http']);
      const response = await fetch(`http://${service.addresses.receivers.otlp?.http}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(exportRequest),
      });
      expect(response.status).toBe(200);
      await expect
        .poll(async () => (await readFile(path.join(directory, 'traces.jsonl'), 'utf8').catch(() => '')).trim(), {
          timeout: 10_000,
        })
        .toContain('eee19b7ec3c1b174');
      const line = JSON.parse(
        (await readFile(path.join(directory, 'traces.jsonl'), 'utf8')).trim().split('\n')[0] ?? '{}',
      );
      expect(line.resourceSpans[0].scopeSpans[0].spans[0].name).toBe('GET /cart');

      expect((await fetch(`http://${service.addresses.extensions.health_check?.http}/`)).status).toBe(200);
      const metrics = await (await fetch(`http://${service.addresses.metrics}/metrics`)).text();
      expect(metrics).toMatch(/^otelcol_receiver_accepted_spans_total\{receiver="otlp",transport="http"\} 1$/m);
    } finally {
      await service.shutdown();
    }
  });
});
