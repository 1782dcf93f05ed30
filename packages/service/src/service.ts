import type { Component, Host, Logger, TelemetrySettings } from '@semtel/component';
import { errorMessage, once } from '@semtel/component';
import type { DestinationStream } from 'pino';
import { builtinFactories } from './builtin-factories.js';
import type { BuiltComponent, BuiltPipelines } from './build-pipelines.js';
import { buildPipelines } from './build-pipelines.js';
import type { ConfigIssue } from './config-error.js';
import { ConfigError, formatConfigIssue } from './config-error.js';
import { createLogger } from './create-logger.js';
import type { Factories } from './factories.js';
import type { ConfigSource } from './load-config.js';
import { loadConfig } from './load-config.js';
import { MetricsServer } from './metrics-server.js';
import { PrometheusMeter } from './prometheus-meter.js';
import { ServiceStatus } from './service-status.js';

export interface StartServiceOptions extends ConfigSource {
  /** Use this logger instead of pino on stdout (tests pass a silent or capturing one). */
  logger?: Logger;
  /** Where pino writes when `logger` is absent; stdout by default. */
  logDestination?: DestinationStream;
  /**
   * Replaces the built-in component types. A function receives the service status, which the
   * health check extension reports on.
   */
  factories?: Factories | ((status: ServiceStatus) => Factories);
}

export interface ServiceAddresses {
  /** Receiver id → protocol → bound `host:port`, e.g. `{ otlp: { grpc: '127.0.0.1:4317', http: '127.0.0.1:4318' } }`. */
  readonly receivers: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Extension id → protocol → bound `host:port`, e.g. `{ health_check: { http: '127.0.0.1:13133' } }`. */
  readonly extensions: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** The self-metrics endpoint's `host:port`; undefined when `service.telemetry.metrics.level` is none. */
  readonly metrics: string | undefined;
}

export interface RunningService {
  readonly addresses: ServiceAddresses;
  readonly status: ServiceStatus;
  readonly logger: Logger;
  /** Non-fatal findings in the configuration, such as components defined but unused. */
  readonly warnings: readonly ConfigIssue[];
  /** The self-metrics as Prometheus text, whether or not the endpoint is served. */
  metricsText(): Promise<string>;
  /** Stops receivers, drains processors, flushes exporters within `service.shutdown_timeout`. Safe to call twice. */
  shutdown(): Promise<void>;
  /** Settles once the service has stopped: by shutdown() or because a component reported a fatal error. */
  readonly stopped: Promise<void>;
  /** The fatal error a component reported, if that is why the service stopped. */
  readonly fatalError: Error | undefined;
}

/** Components that report where they listen, like the otlp receiver and the health check. */
interface AddressReporter {
  addresses(): Readonly<Record<string, string | undefined>>;
}

function reportedAddresses(component: unknown): Record<string, string> {
  const reporter = component as Partial<AddressReporter>;
  if (typeof reporter.addresses !== 'function') return {};
  const result: Record<string, string> = {};
  for (const [protocol, address] of Object.entries(reporter.addresses())) {
    if (address !== undefined) result[protocol] = address;
  }
  return result;
}

/**
 * Loads and validates the configuration (throwing a ConfigError with every issue when it is
 * invalid, before anything starts), builds the pipelines and starts them: extensions, then
 * exporters, processors and receivers; the health check turns ready after that.
 */
export async function startService(options: StartServiceOptions = {}): Promise<RunningService> {
  const status = new ServiceStatus();
  const factories =
    typeof options.factories === 'function'
      ? options.factories(status)
      : (options.factories ?? builtinFactories(status, options.env ?? process.env));
  const loaded = await loadConfig(options, factories);
  if (loaded.config === undefined) throw new ConfigError(loaded.issues);
  const config = loaded.config;
  const logger = options.logger ?? createLogger(config.service.telemetry.logs.level, options.logDestination);
  for (const warning of loaded.warnings) logger.warn({ path: warning.path }, formatConfigIssue(warning));

  const meter = new PrometheusMeter({
    onRecordError: (error, name) =>
      logger.warn({ metric: name, error: errorMessage(error) }, 'could not record a self-metric'),
  });
  const telemetryFor = (kind: string, id: string): TelemetrySettings => ({
    logger: logger.child({ kind, name: id }),
    meter,
  });

  let metricsServer: MetricsServer | undefined;
  const started: { kind: string; built: BuiltComponent<Component> }[] = [];
  let fatalError: Error | undefined;
  let resolveStopped: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve;
  });

  const shutdown = once(async (): Promise<void> => {
    status.set('stopping');
    const timeout = config.service.shutdown_timeout;
    const deadline = AbortSignal.timeout(timeout);
    const deadlineReached = new Promise<'deadline'>((resolve) => {
      if (deadline.aborted) resolve('deadline');
      else deadline.addEventListener('abort', () => resolve('deadline'), { once: true });
    });
    logger.info({ shutdownTimeoutMs: timeout }, 'shutting down');
    // Reverse start order: receivers stop taking data, processors drain into exporters, exporters flush.
    const order = ['receiver', 'processor', 'exporter', 'extension'];
    for (const kind of order) {
      const components = started.filter((entry) => entry.kind === kind).reverse();
      const stop = async ({ built }: (typeof components)[number]): Promise<void> => {
        try {
          const outcome = await Promise.race([
            built.component.shutdown(deadline).then(() => 'done' as const),
            deadlineReached,
          ]);
          if (outcome === 'deadline') {
            logger.warn({ kind, name: built.id }, `${kind} ${built.id} did not stop within service.shutdown_timeout`);
          }
        } catch (error) {
          logger.error({ kind, name: built.id, error: errorMessage(error) }, `${kind} ${built.id} failed to shut down`);
        }
      };
      // Processors hand data downstream as they drain, so they stop one at a time, upstream first.
      if (kind === 'processor') for (const entry of components) await stop(entry);
      else await Promise.all(components.map(stop));
    }
    await metricsServer?.close();
    status.set('stopped');
    logger.info('stopped');
    resolveStopped();
  });

  const host: Host = {
    reportFatalError(error: Error) {
      if (fatalError !== undefined || status.state === 'stopping' || status.state === 'stopped') return;
      fatalError = error;
      logger.error({ error: errorMessage(error) }, 'a component reported a fatal error; shutting down');
      void shutdown();
    },
  };

  try {
    if (config.service.telemetry.metrics.level !== 'none') {
      metricsServer = await MetricsServer.start(config.service.telemetry.metrics.address, meter, logger);
    }
    const pipelines: BuiltPipelines = buildPipelines(config, factories, telemetryFor);
    for (const { id, component } of pipelines.extensions) {
      const ready = component.ready;
      if (ready !== undefined) status.readinessChecks.push(() => ready.call(component));
      started.push({ kind: 'extension', built: { id, component } });
      await component.start(host);
    }
    for (const [kind, components] of [
      ['exporter', pipelines.exporters],
      ['processor', pipelines.processors],
      ['receiver', pipelines.receivers],
    ] as const) {
      for (const built of components) {
        // Listed before start, so a half-started component is shut down too.
        started.push({ kind, built });
        try {
          await built.component.start(host);
        } catch (error) {
          throw new Error(`${kind} "${built.id}" failed to start: ${errorMessage(error)}`, { cause: error });
        }
      }
    }
  } catch (error) {
    logger.error({ error: errorMessage(error) }, 'start failed; stopping what was started');
    await shutdown();
    throw error;
  }

  const addresses = (): ServiceAddresses => {
    const receivers: Record<string, Record<string, string>> = {};
    const extensions: Record<string, Record<string, string>> = {};
    for (const { kind, built } of started) {
      if (kind === 'receiver') receivers[built.id] = reportedAddresses(built.component);
      if (kind === 'extension') extensions[built.id] = reportedAddresses(built.component);
    }
    return { receivers, extensions, metrics: metricsServer?.address };
  };
  const snapshot = addresses();
  status.set('running');
  logger.info(
    {
      config: loaded.origin,
      receivers: snapshot.receivers,
      exporters: [...config.exporters.keys()],
      pipelines: config.pipelines.map((pipeline) => pipeline.id),
      health: snapshot.extensions,
      metrics: snapshot.metrics === undefined ? undefined : `http://${snapshot.metrics}/metrics`,
    },
    `semtel running: receiving on ${describeReceivers(snapshot)}; exporting to ${[...config.exporters.keys()].join(', ')}`,
  );

  return {
    addresses: snapshot,
    status,
    logger,
    warnings: loaded.warnings,
    metricsText: () => meter.metricsText(),
    shutdown,
    stopped,
    get fatalError() {
      return fatalError;
    },
  };
}

function describeReceivers(addresses: ServiceAddresses): string {
  const endpoints = Object.entries(addresses.receivers).flatMap(([id, protocols]) =>
    Object.entries(protocols).map(([protocol, address]) => `${id} ${protocol} ${address}`),
  );
  return endpoints.length === 0 ? 'no endpoints' : endpoints.join(', ');
}
