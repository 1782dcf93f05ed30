import type {
  Exporter,
  ExporterFactory,
  ExtensionFactory,
  Host,
  NextConsumers,
  Processor,
  ProcessorFactory,
  ReceiverFactory,
} from '@semtel/component';
import { once, PermanentError, RetryableError } from '@semtel/component';
import type { Logs, Traces } from '@semtel/pdata';
import { createResource, createScope, createSpan, getAttribute, setAttribute } from '@semtel/pdata';
import { z } from 'zod';
import type { Factories } from './factories.js';
import { createHealthCheckExtensionFactory, HealthCheckExtension } from './health-check-extension.js';
import type { ServiceStatus } from './service-status.js';

/** A gate a test opens when it chooses; used to hold a start or shutdown in progress. */
export class Gate {
  #open: () => void = () => {};
  readonly opened = new Promise<void>((resolve) => {
    this.#open = resolve;
  });

  open(): void {
    this.#open();
  }
}

/** Components for wiring tests: a receiver the test pushes through, a tagging processor, a recording exporter. */
export interface TestComponents {
  readonly factories: (status: ServiceStatus) => Factories;
  /** `start exporter recorder/a`, `shutdown receiver push`, … in the order they happened. */
  readonly events: string[];
  /** What each push receiver was given as next consumers. */
  readonly receivers: Map<string, NextConsumers>;
  /** Traces and logs each exporter accepted, by exporter id. */
  readonly exported: Map<string, (Traces | Logs)[]>;
  /** Gates that hold a component's start or shutdown: key `start recorder/slow`. */
  readonly gates: Map<string, Gate>;
  healthCheck: HealthCheckExtension | undefined;
}

const recorderConfigSchema = z
  .strictObject({
    refuse: z.enum(['retryable', 'permanent', 'throttled']).optional(),
    signals_seen: z.boolean().default(false),
  })
  .prefault({});

export function createTestComponents(): TestComponents {
  const events: string[] = [];
  const receivers = new Map<string, NextConsumers>();
  const exported = new Map<string, (Traces | Logs)[]>();
  const gates = new Map<string, Gate>();
  const lifecycle = (kind: string, id: string) => ({
    start: once(async () => {
      events.push(`start ${kind} ${id}`);
      await gates.get(`start ${id}`)?.opened;
    }),
    shutdown: once(async () => {
      events.push(`shutdown ${kind} ${id}`);
      await gates.get(`shutdown ${id}`)?.opened;
    }),
  });
  const idOf = (settings: { id: { type: string; name: string } }): string =>
    settings.id.name === '' ? settings.id.type : `${settings.id.type}/${settings.id.name}`;

  const pushReceiverFactory: ReceiverFactory<unknown> = {
    type: 'push',
    signals: ['traces', 'logs', 'metrics'],
    configSchema: z.strictObject({}).prefault({}),
    create(settings, _config, next) {
      const id = idOf(settings);
      receivers.set(id, next);
      return lifecycle('receiver', id);
    },
  };

  const tagProcessorFactory: ProcessorFactory<unknown> = {
    type: 'tag',
    signals: ['traces', 'logs'],
    configSchema: z.strictObject({}).prefault({}),
    create(settings, _config, next): Processor {
      const id = idOf(settings);
      const tag = (attributes: Parameters<typeof setAttribute>[0]): void => {
        const previous = getAttribute(attributes, 'path');
        setAttribute(attributes, 'path', `${typeof previous === 'string' ? `${previous} ` : ''}${id}`);
      };
      return {
        ...lifecycle('processor', id),
        ...(next.traces === undefined
          ? {}
          : {
              consumeTraces: async (traces: Traces) => {
                for (const resourceSpans of traces.resourceSpans) tag(resourceSpans.resource.attributes);
                await next.traces?.consumeTraces(traces);
              },
            }),
        ...(next.logs === undefined
          ? {}
          : {
              consumeLogs: async (logs: Logs) => {
                for (const resourceLogs of logs.resourceLogs) tag(resourceLogs.resource.attributes);
                await next.logs?.consumeLogs(logs);
              },
            }),
      };
    },
  };

  const recorderExporterFactory: ExporterFactory<z.output<typeof recorderConfigSchema>> = {
    type: 'recorder',
    signals: ['traces', 'logs', 'metrics'],
    configSchema: recorderConfigSchema,
    create(settings, config): Exporter {
      const id = idOf(settings);
      const accept = async (data: Traces | Logs): Promise<void> => {
        await gates.get(`consume ${id}`)?.opened;
        if (config.refuse === 'retryable') throw new RetryableError(`${id} queue is full`, { retryAfterMs: 2000 });
        if (config.refuse === 'throttled')
          throw new RetryableError(`${id} throttled`, { retryAfterMs: 5000, throttled: true });
        if (config.refuse === 'permanent') throw new PermanentError(`${id} rejects this`, { badData: true });
        const list = exported.get(id) ?? [];
        list.push(structuredClone(data));
        exported.set(id, list);
      };
      return {
        ...lifecycle('exporter', id),
        consumeTraces: accept,
        consumeLogs: accept,
        consumeMetrics: async () => {},
      };
    },
  };

  const components: TestComponents = {
    events,
    receivers,
    exported,
    gates,
    healthCheck: undefined,
    factories: (status) => {
      const healthCheck = createHealthCheckExtensionFactory(status);
      const recordingHealthCheck: ExtensionFactory<unknown> = {
        type: healthCheck.type,
        configSchema: healthCheck.configSchema,
        create(settings, config) {
          const extension = healthCheck.create(settings, config as never);
          components.healthCheck = extension instanceof HealthCheckExtension ? extension : undefined;
          const { start, shutdown } = extension;
          return {
            start: async (host: Host) => {
              await start.call(extension, host);
              events.push(`start extension ${idOf(settings)}`);
            },
            shutdown: async (deadline?: AbortSignal) => {
              events.push(`shutdown extension ${idOf(settings)}`);
              await shutdown.call(extension, deadline);
            },
            addresses: () => (extension instanceof HealthCheckExtension ? extension.addresses() : {}),
          } as HealthCheckExtension;
        },
      };
      return {
        receivers: [pushReceiverFactory],
        processors: [tagProcessorFactory],
        exporters: [recorderExporterFactory],
        extensions: [recordingHealthCheck],
      };
    },
  };
  return components;
}

export function testTraces(name = 'span'): Traces {
  return {
    resourceSpans: [
      {
        resource: createResource(),
        scopeSpans: [
          {
            scope: createScope('test'),
            spans: [createSpan({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', name })],
            schemaUrl: '',
          },
        ],
        schemaUrl: '',
      },
    ],
  };
}

export function testLogs(): Logs {
  return { resourceLogs: [{ resource: createResource(), scopeLogs: [], schemaUrl: '' }] };
}
