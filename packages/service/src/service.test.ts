import { noopLogger } from '@semtel/component';
import { getAttribute } from '@semtel/pdata';
import type { Traces } from '@semtel/pdata';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import type { RunningService } from './service.js';
import { startService } from './service.js';
import { createTestComponents, Gate, testLogs, testTraces } from './test-components.js';

const running: RunningService[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((service) => service.shutdown()));
});

async function start(config: string, components = createTestComponents()) {
  const service = await startService({ config, factories: components.factories, logger: noopLogger, env: {} });
  running.push(service);
  return { service, components };
}

const telemetry = `
  telemetry: { metrics: { address: 127.0.0.1:0 } }
`;

function pathOf(traces: Traces | undefined): unknown {
  return traces === undefined ? undefined : getAttribute(traces.resourceSpans[0]?.resource.attributes ?? [], 'path');
}

describe('startService wiring', () => {
  it('chains processors per pipeline, fans out to every exporter, and shares one processor across signals', async () => {
    const { components } = await start(`
receivers: { push: }
processors: { tag/a: , tag/b: }
exporters: { recorder/one: , recorder/two: , recorder/logs: }
service:
  pipelines:
    traces: { receivers: [push], processors: [tag/a, tag/b], exporters: [recorder/one, recorder/two] }
    traces/raw: { receivers: [push], exporters: [recorder/two] }
    logs: { receivers: [push], processors: [tag/b], exporters: [recorder/logs] }
${telemetry}`);
    const next = components.receivers.get('push');
    await next?.traces?.consumeTraces(testTraces());
    await next?.logs?.consumeLogs(testLogs());

    const one = components.exported.get('recorder/one') as Traces[];
    const two = components.exported.get('recorder/two') as Traces[];
    expect(one.map(pathOf)).toEqual(['tag/a tag/b']);
    // recorder/two gets the processed copy from "traces" and the untouched copy from "traces/raw".
    expect(two.map(pathOf)).toHaveLength(2);
    expect(two.map(pathOf)).toEqual(expect.arrayContaining([undefined, 'tag/a tag/b']));
    const logs = components.exported.get('recorder/logs') as ReturnType<typeof testLogs>[];
    expect(getAttribute(logs[0]?.resourceLogs[0]?.resource.attributes ?? [], 'path')).toBe('tag/b');
  });

  it('delivers to the other exporters when one refuses, then rejects with a RetryableError', async () => {
    const { components } = await start(`
receivers: { push: }
exporters: { recorder/ok: , recorder/full: { refuse: retryable }, recorder/slow: , recorder/throttled: { refuse: throttled } }
service:
  pipelines:
    traces: { receivers: [push], exporters: [recorder/ok, recorder/full, recorder/slow, recorder/throttled] }
${telemetry}`);
    const slow = new Gate();
    components.gates.set('consume recorder/slow', slow);
    const consumed = components.receivers.get('push')?.traces?.consumeTraces(testTraces());
    const settled = consumed?.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    // The slow exporter holds the call, yet the fast one already has the data.
    await expect.poll(() => components.exported.get('recorder/ok')?.length).toBe(1);
    slow.open();
    const error = await settled;
    expect(error).toMatchObject({
      name: 'RetryableError',
      retryAfterMs: 5000,
      throttled: true,
      message: expect.stringContaining('exporter "recorder/full": recorder/full queue is full'),
    });
    expect(components.exported.get('recorder/slow')).toHaveLength(1);
  });

  it('rejects with a PermanentError when every refusal is permanent', async () => {
    const { components } = await start(`
receivers: { push: }
exporters: { recorder/ok: , recorder/bad: { refuse: permanent } }
service:
  pipelines: { traces: { receivers: [push], exporters: [recorder/ok, recorder/bad] } }
${telemetry}`);
    await expect(components.receivers.get('push')?.traces?.consumeTraces(testTraces())).rejects.toMatchObject({
      name: 'PermanentError',
      badData: true,
    });
    expect(components.exported.get('recorder/ok')).toHaveLength(1);
  });

  it('passes a single exporter error through unchanged', async () => {
    const { components } = await start(`
receivers: { push: }
exporters: { recorder: { refuse: retryable } }
service:
  pipelines: { traces: { receivers: [push], exporters: [recorder] } }
${telemetry}`);
    await expect(components.receivers.get('push')?.traces?.consumeTraces(testTraces())).rejects.toThrow(
      'recorder queue is full',
    );
  });

  it('throws a ConfigError with every issue and starts nothing when the config is invalid', async () => {
    const components = createTestComponents();
    const error = await startService({
      config: 'receivers: { push: }\nservice: { pipelines: { traces: { receivers: [push], exporters: [nope] } } }\n',
      factories: components.factories,
      logger: noopLogger,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((issue) => issue.path)).toEqual(['service.pipelines.traces.exporters[0]']);
    expect(components.events).toEqual([]);
  });
});

describe('startService lifecycle', () => {
  const config = `
receivers: { push: , push/2: }
processors: { tag/first: , tag/second: }
exporters: { recorder/a: , recorder/b: }
extensions: { health_check: { endpoint: 127.0.0.1:0 } }
service:
  extensions: [health_check]
  pipelines:
    traces: { receivers: [push], processors: [tag/first, tag/second], exporters: [recorder/a] }
    logs: { receivers: [push/2], processors: [tag/second], exporters: [recorder/b] }
${telemetry}`;

  it('starts extensions, exporters, processors downstream first, receivers; stops in reverse; twice is safe', async () => {
    const { service, components } = await start(config);
    expect(components.events).toEqual([
      'start extension health_check',
      'start exporter recorder/a',
      'start exporter recorder/b',
      'start processor tag/second',
      'start processor tag/first',
      'start receiver push',
      'start receiver push/2',
    ]);
    components.events.length = 0;
    await Promise.all([service.shutdown(), service.shutdown()]);
    await service.shutdown();
    expect(components.events.slice(0, 2).sort()).toEqual(['shutdown receiver push', 'shutdown receiver push/2']);
    expect(components.events.slice(2)).toEqual([
      'shutdown processor tag/first',
      'shutdown processor tag/second',
      'shutdown exporter recorder/b',
      'shutdown exporter recorder/a',
      'shutdown extension health_check',
    ]);
    expect(service.status.state).toBe('stopped');
    await expect(service.stopped).resolves.toBeUndefined();
  });

  it('moves on when a component does not stop within service.shutdown_timeout', async () => {
    const components = createTestComponents();
    const stuck = new Gate();
    components.gates.set('shutdown recorder/a', stuck);
    const { service } = await start(config.replace('pipelines:', 'shutdown_timeout: 50ms\n  pipelines:'), components);
    await service.shutdown();
    expect(components.events).toContain('shutdown extension health_check');
    expect(service.status.state).toBe('stopped');
    stuck.open();
  });

  it('stops what it started when a component fails to start', async () => {
    const components = createTestComponents();
    const factories = components.factories;
    const error = await startService({
      config: config.replace('recorder/b: ', 'recorder/b: { refuse: nonsense }'),
      factories,
      logger: noopLogger,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect(components.events).toEqual([]);

    const failing = createTestComponents();
    const failingFactories: typeof failing.factories = (status) => {
      const base = failing.factories(status);
      const [receiver] = base.receivers;
      if (receiver === undefined) throw new Error('no receiver factory');
      return {
        ...base,
        receivers: [
          {
            ...receiver,
            create: (settings, receiverConfig, next) => {
              const created = receiver.create(settings, receiverConfig, next);
              return settings.id.name === '2'
                ? { start: () => Promise.reject(new Error('port taken')), shutdown: created.shutdown }
                : created;
            },
          },
        ],
      };
    };
    await expect(startService({ config, factories: failingFactories, logger: noopLogger })).rejects.toThrow(
      'receiver "push/2" failed to start: port taken',
    );
    // push/2 had begun to start, so it is stopped too.
    const stops = failing.events.filter((event) => event.startsWith('shutdown'));
    expect(stops.slice(0, 2).sort()).toEqual(['shutdown receiver push', 'shutdown receiver push/2']);
    expect(stops.slice(2)).toEqual([
      'shutdown processor tag/first',
      'shutdown processor tag/second',
      'shutdown exporter recorder/b',
      'shutdown exporter recorder/a',
      'shutdown extension health_check',
    ]);
  });
});

describe('fatal errors', () => {
  it('shuts the service down when a component reports a fatal error', async () => {
    const components = createTestComponents();
    let reportFatal: ((error: Error) => void) | undefined;
    const service = await startService({
      config: `
receivers: { push: }
exporters: { recorder: }
service:
  pipelines: { traces: { receivers: [push], exporters: [recorder] } }
${telemetry}`,
      factories: (status) => {
        const base = components.factories(status);
        const [receiver] = base.receivers;
        if (receiver === undefined) throw new Error('no receiver factory');
        return {
          ...base,
          receivers: [
            {
              ...receiver,
              create: (settings, receiverConfig, next) => {
                const created = receiver.create(settings, receiverConfig, next);
                return {
                  start: async (host) => {
                    reportFatal = (error) => host.reportFatalError(error);
                    await created.start(host);
                  },
                  shutdown: created.shutdown,
                };
              },
            },
          ],
        };
      },
      logger: noopLogger,
    });
    running.push(service);
    reportFatal?.(new Error('port lost'));
    await service.stopped;
    expect(service.fatalError?.message).toBe('port lost');
    expect(service.status.state).toBe('stopped');
    expect(components.events).toContain('shutdown exporter recorder');
  });
});

describe('health_check', () => {
  async function health(address: string | undefined): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`http://${address}/`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('answers 503 while starting and stopping, 200 while running', async () => {
    const components = createTestComponents();
    const starting = new Gate();
    const stopping = new Gate();
    components.gates.set('start recorder', starting);
    components.gates.set('shutdown recorder', stopping);
    const pending = startService({
      config: `
receivers: { push: }
exporters: { recorder: }
extensions: { health_check: { endpoint: 127.0.0.1:0 } }
service:
  extensions: [health_check]
  pipelines: { traces: { receivers: [push], exporters: [recorder] } }
${telemetry}`,
      factories: components.factories,
      logger: noopLogger,
    });
    await expect.poll(() => components.events.includes('start exporter recorder')).toBe(true);
    const address = components.healthCheck?.addresses().http;
    expect(await health(address)).toEqual({
      status: 503,
      body: { status: 'Server not available', upSince: '0001-01-01T00:00:00Z', uptime: '' },
    });
    starting.open();
    const service = await pending;
    running.push(service);
    expect(service.addresses.extensions.health_check?.http).toBe(address);
    const up = await health(address);
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({ status: 'Server available', uptime: expect.stringMatching(/^[\d.]+s$/) });
    expect(Number.isNaN(Date.parse(up.body.upSince as string))).toBe(false);

    const shuttingDown = service.shutdown();
    await expect.poll(() => components.events.includes('shutdown exporter recorder')).toBe(true);
    expect((await health(address)).status).toBe(503);
    stopping.open();
    await shuttingDown;
  });

  it('answers only its path, and only GET', async () => {
    const { service } = await start(`
receivers: { push: }
exporters: { recorder: }
extensions: { health_check: { endpoint: 127.0.0.1:0, path: /health } }
service:
  extensions: [health_check]
  pipelines: { traces: { receivers: [push], exporters: [recorder] } }
${telemetry}`);
    const address = service.addresses.extensions.health_check?.http;
    expect((await fetch(`http://${address}/health`)).status).toBe(200);
    expect((await fetch(`http://${address}/`)).status).toBe(404);
    expect((await fetch(`http://${address}/health`, { method: 'POST' })).status).toBe(405);
  });
});

describe('self-metrics', () => {
  it('serves component counters and process metrics at /metrics', async () => {
    const components = createTestComponents();
    const service = await startService({
      config: `
receivers: { push: }
exporters: { recorder: }
service:
  pipelines: { traces: { receivers: [push], exporters: [recorder] } }
${telemetry}`,
      factories: (status) => {
        const base = components.factories(status);
        const [exporter] = base.exporters;
        if (exporter === undefined) throw new Error('no exporter factory');
        return {
          ...base,
          exporters: [
            {
              ...exporter,
              create(settings, exporterConfig) {
                const created = exporter.create(settings, exporterConfig);
                const sent = settings.telemetry.meter.counter('otelcol_exporter_sent_spans', 'Spans sent.', [
                  'exporter',
                ]);
                // Asking again for the same name gives the same instrument.
                const again = settings.telemetry.meter.counter('otelcol_exporter_sent_spans', 'Spans sent.', [
                  'exporter',
                ]);
                return {
                  ...created,
                  consumeTraces: async (traces: Traces) => {
                    await created.consumeTraces?.(traces);
                    sent.add(1, { exporter: 'recorder' });
                    again.add(2, { exporter: 'recorder' });
                  },
                };
              },
            },
          ],
        };
      },
      logger: noopLogger,
    });
    running.push(service);
    await components.receivers.get('push')?.traces?.consumeTraces(testTraces());
    const response = await fetch(`http://${service.addresses.metrics}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toContain('otelcol_exporter_sent_spans_total{exporter="recorder"} 3');
    expect(text).toMatch(/^otelcol_process_uptime_seconds_total [\d.e+-]+$/m);
    expect(text).toMatch(/^otelcol_process_memory_rss_bytes \d+/m);
    expect(await service.metricsText()).toContain('otelcol_exporter_sent_spans_total');
    expect((await fetch(`http://${service.addresses.metrics}/other`)).status).toBe(404);
  });

  it('serves nothing with level none', async () => {
    const { service } = await start(`
receivers: { push: }
exporters: { recorder: }
service:
  pipelines: { traces: { receivers: [push], exporters: [recorder] } }
  telemetry: { metrics: { level: none, address: 127.0.0.1:0 } }
`);
    expect(service.addresses.metrics).toBeUndefined();
    expect(await service.metricsText()).toContain('otelcol_process_uptime_seconds_total');
  });
});
