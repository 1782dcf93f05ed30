import type {
  Component,
  Exporter,
  Extension,
  LogsConsumer,
  MetricsConsumer,
  NextConsumers,
  Processor,
  Receiver,
  Signal,
  TelemetrySettings,
  TracesConsumer,
} from '@semtel/component';
import { parseComponentId } from '@semtel/component';
import type { Logs, Metrics, Traces } from '@semtel/pdata';
import type { Factories } from './factories.js';
import type { ConsumeFunction, ConsumerTarget } from './fan-out-consumer.js';
import { fanOut } from './fan-out-consumer.js';
import type { ResolvedConfig } from './validate-config.js';

export interface BuiltComponent<Kind extends Component> {
  readonly id: string;
  readonly component: Kind;
}

/** The running graph; each list is in start order. */
export interface BuiltPipelines {
  readonly extensions: readonly BuiltComponent<Extension>[];
  readonly exporters: readonly BuiltComponent<Exporter>[];
  /** Downstream first, so a processor starts after the processors it feeds. */
  readonly processors: readonly BuiltComponent<Processor>[];
  readonly receivers: readonly BuiltComponent<Receiver>[];
}

type AnyConsumer = Partial<TracesConsumer & LogsConsumer & MetricsConsumer>;

const consumeMethod = { traces: 'consumeTraces', logs: 'consumeLogs', metrics: 'consumeMetrics' } as const;

/** Calls a component's consume method for a signal; undefined when it has none. */
function consumerOf(component: AnyConsumer, signal: Signal): ConsumeFunction | undefined {
  switch (signal) {
    case 'traces': {
      const consume = component.consumeTraces;
      return consume === undefined ? undefined : (data) => consume.call(component, data as Traces);
    }
    case 'logs': {
      const consume = component.consumeLogs;
      return consume === undefined ? undefined : (data) => consume.call(component, data as Logs);
    }
    case 'metrics': {
      const consume = component.consumeMetrics;
      return consume === undefined ? undefined : (data) => consume.call(component, data as Metrics);
    }
  }
}

function toNextConsumers(consumers: ReadonlyMap<Signal, ConsumeFunction>): NextConsumers {
  const next: NextConsumers = {};
  const traces = consumers.get('traces');
  const logs = consumers.get('logs');
  const metrics = consumers.get('metrics');
  if (traces !== undefined) next.traces = { consumeTraces: traces };
  if (logs !== undefined) next.logs = { consumeLogs: logs };
  if (metrics !== undefined) next.metrics = { consumeMetrics: metrics };
  return next;
}

/**
 * Creates one instance per component id and connects them: receiver → each pipeline that names
 * it (fan-out) → processors in order → every exporter of the pipeline (fan-out). A processor in a
 * traces and a logs pipeline is one instance whose `next` carries both signals.
 */
export function buildPipelines(
  config: ResolvedConfig,
  factories: Factories,
  telemetryFor: (kind: string, id: string) => TelemetrySettings,
): BuiltPipelines {
  const factory = <Section extends keyof Factories>(section: Section, id: string): Factories[Section][number] => {
    const type = parseComponentId(id).type;
    const found = factories[section].find((candidate) => candidate.type === type);
    if (found === undefined) throw new Error(`no factory for ${section} type "${type}"`);
    return found as Factories[Section][number];
  };
  const settings = (kind: string, id: string) => ({ id: parseComponentId(id), telemetry: telemetryFor(kind, id) });

  const exporters = new Map<string, Exporter>();
  for (const [id, component] of config.exporters) {
    exporters.set(id, factory('exporters', id).create(settings('exporter', id), component.config));
  }

  const required = (component: AnyConsumer, signal: Signal, description: string): ConsumeFunction => {
    const consume = consumerOf(component, signal);
    if (consume === undefined) throw new Error(`${description} has no ${consumeMethod[signal]}()`);
    return consume;
  };

  const exportStage = new Map<string, ConsumeFunction>();
  for (const pipeline of config.pipelines) {
    const targets: ConsumerTarget[] = pipeline.exporters.map((id) => ({
      description: `exporter "${id}"`,
      consume: required(exporters.get(id) as Exporter, pipeline.signal, `exporter "${id}"`),
    }));
    exportStage.set(pipeline.id, fanOut(pipeline.signal, targets, false));
  }

  // Processors may feed each other in different orders per signal, so a link looks its target
  // up when data flows, after every processor exists.
  const processors = new Map<string, Processor>();
  const processorLink =
    (id: string, signal: Signal): ConsumeFunction =>
    (data) =>
      (consumerOf(processors.get(id) as Processor, signal) as ConsumeFunction)(data);
  const processorNext = new Map<string, Map<Signal, ConsumeFunction>>();
  const downstreamOf = new Map<string, Set<string>>();
  for (const pipeline of config.pipelines) {
    pipeline.processors.forEach((id, position) => {
      const nextId = pipeline.processors[position + 1];
      const next =
        nextId === undefined
          ? (exportStage.get(pipeline.id) as ConsumeFunction)
          : processorLink(nextId, pipeline.signal);
      const bySignal = processorNext.get(id) ?? new Map<Signal, ConsumeFunction>();
      bySignal.set(pipeline.signal, next);
      processorNext.set(id, bySignal);
      const edges = downstreamOf.get(id) ?? new Set<string>();
      if (nextId !== undefined) edges.add(nextId);
      downstreamOf.set(id, edges);
    });
  }
  for (const [id, component] of config.processors) {
    const next = processorNext.get(id) ?? new Map<Signal, ConsumeFunction>();
    const processor = factory('processors', id).create(
      settings('processor', id),
      component.config,
      toNextConsumers(next),
    );
    for (const signal of next.keys()) required(processor, signal, `processor "${id}"`);
    processors.set(id, processor);
  }

  const pipelineEntry = new Map<string, ConsumeFunction>();
  for (const pipeline of config.pipelines) {
    const first = pipeline.processors[0];
    pipelineEntry.set(
      pipeline.id,
      first === undefined ? (exportStage.get(pipeline.id) as ConsumeFunction) : processorLink(first, pipeline.signal),
    );
  }

  const receivers = new Map<string, Receiver>();
  for (const [id, component] of config.receivers) {
    const next = new Map<Signal, ConsumeFunction>();
    for (const signal of ['traces', 'logs', 'metrics'] as const) {
      const targets: ConsumerTarget[] = config.pipelines
        .filter((pipeline) => pipeline.signal === signal && pipeline.receivers.includes(id))
        .map((pipeline) => ({
          description: `pipeline "${pipeline.id}"`,
          consume: pipelineEntry.get(pipeline.id) as ConsumeFunction,
        }));
      if (targets.length > 0) next.set(signal, fanOut(signal, targets, true));
    }
    receivers.set(
      id,
      factory('receivers', id).create(settings('receiver', id), component.config, toNextConsumers(next)),
    );
  }

  const extensions = new Map<string, Extension>();
  for (const id of config.service.extensions) {
    const component = config.extensions.get(id);
    if (component === undefined) continue;
    extensions.set(id, factory('extensions', id).create(settings('extension', id), component.config));
  }

  const list = <Kind extends Component>(components: ReadonlyMap<string, Kind>): BuiltComponent<Kind>[] =>
    [...components].map(([id, component]) => ({ id, component }));
  return {
    extensions: list(extensions),
    exporters: list(exporters),
    processors: upstreamFirst([...processors.keys()], downstreamOf)
      .reverse()
      .map((id) => ({ id, component: processors.get(id) as Processor })),
    receivers: list(receivers),
  };
}

/**
 * Orders processors so each comes before the ones it feeds (Kahn's algorithm). Pipelines of
 * different signals may chain two processors in opposite orders; such a cycle is broken in
 * config order, since no data can flow around it.
 */
function upstreamFirst(ids: readonly string[], downstreamOf: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const incoming = new Map(ids.map((id) => [id, 0]));
  for (const targets of downstreamOf.values()) {
    for (const target of targets) incoming.set(target, (incoming.get(target) ?? 0) + 1);
  }
  const ordered: string[] = [];
  const remaining = new Set(ids);
  while (remaining.size > 0) {
    const next = [...remaining].find((id) => incoming.get(id) === 0) ?? ([...remaining][0] as string);
    remaining.delete(next);
    ordered.push(next);
    for (const target of downstreamOf.get(next) ?? []) incoming.set(target, (incoming.get(target) ?? 0) - 1);
  }
  return ordered;
}
