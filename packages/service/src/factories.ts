import type { ExporterFactory, ExtensionFactory, ProcessorFactory, ReceiverFactory } from '@semtel/component';

/** The component types a service can build, by kind. */
export interface Factories {
  readonly receivers: readonly ReceiverFactory<unknown>[];
  readonly processors: readonly ProcessorFactory<unknown>[];
  readonly exporters: readonly ExporterFactory<unknown>[];
  readonly extensions: readonly ExtensionFactory<unknown>[];
}

export type ComponentKind = 'receiver' | 'processor' | 'exporter' | 'extension';

export const sectionOfKind = {
  receiver: 'receivers',
  processor: 'processors',
  exporter: 'exporters',
  extension: 'extensions',
} as const satisfies Record<ComponentKind, keyof Factories>;
