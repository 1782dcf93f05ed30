import type { z } from 'zod';
import type { Exporter, Extension, NextConsumers, Processor, Receiver, Signal } from './component.js';
import type { TelemetrySettings } from './telemetry.js';

/** A component id as written in config: `type` or `type/name`. */
export interface ComponentId {
  readonly type: string;
  readonly name: string;
}

export function parseComponentId(text: string): ComponentId {
  const slash = text.indexOf('/');
  return slash < 0 ? { type: text, name: '' } : { type: text.slice(0, slash), name: text.slice(slash + 1) };
}

export function formatComponentId(id: ComponentId): string {
  return id.name === '' ? id.type : `${id.type}/${id.name}`;
}

export interface CreateSettings {
  readonly id: ComponentId;
  readonly telemetry: TelemetrySettings;
}

interface FactoryBase<Config> {
  readonly type: string;
  /** Parses user config and fills defaults; `schema.parse({})` gives the default config. */
  readonly configSchema: z.ZodType<Config>;
}

export interface ReceiverFactory<Config = unknown> extends FactoryBase<Config> {
  readonly signals: readonly Signal[];
  /** One receiver instance serves every pipeline that names it. */
  create(settings: CreateSettings, config: Config, next: NextConsumers): Receiver;
}

export interface ProcessorFactory<Config = unknown> extends FactoryBase<Config> {
  readonly signals: readonly Signal[];
  /** One processor instance per id; `next` has a consumer for each signal whose pipeline names it. */
  create(settings: CreateSettings, config: Config, next: NextConsumers): Processor;
}

export interface ExporterFactory<Config = unknown> extends FactoryBase<Config> {
  readonly signals: readonly Signal[];
  /** One exporter instance per id, shared by the pipelines that name it. */
  create(settings: CreateSettings, config: Config): Exporter;
}

export interface ExtensionFactory<Config = unknown> extends FactoryBase<Config> {
  create(settings: CreateSettings, config: Config): Extension;
}
